"""Run the scanner as ``python -m shoumi.scanner PATH...``."""

import sys

from shoumi.scanner.cli import main

sys.exit(main())
