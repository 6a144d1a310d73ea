"""``python -m bench.soak`` (``make soak``)."""

import sys

from bench.soak.run import main

sys.exit(main())
