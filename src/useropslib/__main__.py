"""``python -m useropslib`` runs the command line."""

import sys

from useropslib.cli import main

sys.exit(main())
