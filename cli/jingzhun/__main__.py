"""Run the CLI with ``python -m jingzhun``."""

import sys

from jingzhun.cli import main

sys.exit(main())
