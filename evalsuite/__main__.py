"""`python -m evalsuite` (and `torchrun -m evalsuite`) runs the command line."""

import sys

from evalsuite.cli import main

sys.exit(main())
