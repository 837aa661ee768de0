import multiprocessing
import sys

from qfdesk.cli import main

# In the bundled app a sweep's worker processes start this executable again; this makes
# them run their work instead of a second app.
multiprocessing.freeze_support()
sys.exit(main())
