"""``python -m app`` is the ``greenroom`` command."""

import sys

from app.cli import main

sys.exit(main())
