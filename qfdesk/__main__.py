import sys

if sys.argv[1:2] == ["--qfdesk-watchdog"]:  # a PyInstaller bundle started as a run's watchdog
    from qfdesk.browser.watchdog import main as watchdog_main

    sys.exit(watchdog_main(sys.argv[2]))

from qfdesk.cli import main

sys.exit(main())
