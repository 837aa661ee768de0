import multiprocessing
import sys

if sys.argv[1:2] == ["--qfdesk-watchdog"]:  # a PyInstaller bundle started as a run's watchdog
    from qfdesk.browser.watchdog import main as watchdog_main

    sys.exit(watchdog_main(sys.argv[2]))

if sys.argv[1:2] == ["--qfdesk-strategy-worker"]:  # a bundle started as a strategy worker
    from qfdesk.engine.strategies.sandbox_worker import main as worker_main

    worker_main(sys.argv[2:])
    sys.exit(0)

from qfdesk.cli import main

# In the bundled app a sweep's worker processes start this executable again; this makes
# them run their work instead of a second app.
multiprocessing.freeze_support()
sys.exit(main())
