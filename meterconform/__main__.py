"""`python -m meterconform` is the `meterconform` command."""

import sys

from .cli import main

sys.exit(main())
