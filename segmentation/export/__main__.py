"""``python -m segmentation.export``: see ``segmentation.export.ship``."""

import sys

from segmentation.export.ship import main

sys.exit(main())
