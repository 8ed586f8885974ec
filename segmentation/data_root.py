"""Where the shared data folder is (training data, the teacher and peer models, test clips): development only.

The app never reads it; training, the tools, the benchmarks and the tests do.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[1]


def default_data_root() -> Path:
    """``$GREENROOM_DATA`` if set, else the shared data folder beside the repository."""
    return Path(os.environ.get("GREENROOM_DATA", _REPO_ROOT.parent / "shared" / "data"))
