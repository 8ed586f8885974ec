"""Entry point of the Greenroom app bundle: the ``greenroom`` command (window without arguments, sub-commands headless).

``freeze_support`` keeps a frozen Windows/macOS build from re-running the app if a library ever starts a
multiprocessing child; it does nothing elsewhere.
"""

import multiprocessing
import sys

from app.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
