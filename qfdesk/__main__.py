import sys

from qfdesk.cli import main

sys.exit(main())
