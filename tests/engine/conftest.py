"""Engine fixtures: a loaded random-weights segmenter, a short generated clip, fake cameras."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def write_clip(path: Path, *, frames: int, width: int = 320, height: int = 180, fps: float = 30.0) -> Path:
    """A clip of a bright disc moving over a striped backdrop, RGB content written as mp4."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for index in range(frames):
        rgb = np.zeros((height, width, 3), np.uint8)
        rgb[:, :, 0] = (np.arange(width) * 255 // width).astype(np.uint8)
        rgb[::8, :, 1] = 200
        cv2.circle(rgb, (40 + index * 3 % (width - 80), height // 2), height // 4, (240, 220, 200), -1)
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 45-frame 320x180 30 fps mp4."""
    return write_clip(tmp_path_factory.mktemp("clips") / "short.mp4", frames=45)
