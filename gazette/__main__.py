"""``python -m gazette``: the same command line as ``build.py``."""

import sys

from gazette.cli import main

sys.exit(main())
