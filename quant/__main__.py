"""``python -m quant``: see :mod:`quant.cli`."""

import sys

from quant.cli import main

sys.exit(main())
