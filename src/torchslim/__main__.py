"""``python -m torchslim`` runs the command line."""

import sys

from torchslim.cli import main

sys.exit(main())
