"""Engine fixtures: a loaded random-weights segmenter, a short generated clip, fake cameras."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_fakes import write_clip


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 45-frame 320x180 30 fps mp4."""
    return write_clip(tmp_path_factory.mktemp("clips") / "short.mp4", frames=45)
