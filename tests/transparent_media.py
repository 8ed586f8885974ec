"""Generated pictures and videos with transparency, for the background and thumbnail tests.

Each is left half opaque blue and right half fully transparent, storing magenta there: the colour a viewer must never
see.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

OPAQUE_BLUE = (0, 0, 255)
HIDDEN_MAGENTA = (255, 0, 255)


def half_transparent_rgba(width: int = 64, height: int = 36) -> np.ndarray:
    """(height, width, 4) uint8 RGBA: left half opaque blue, right half transparent magenta."""
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[:, : width // 2] = (*OPAQUE_BLUE, 255)
    rgba[:, width // 2 :] = (*HIDDEN_MAGENTA, 0)
    return rgba


def half_transparent_png(path: Path, width: int = 64, height: int = 36) -> Path:
    Image.fromarray(half_transparent_rgba(width, height), "RGBA").save(path)
    return path


def half_transparent_video(path: Path, frames: int = 3, width: int = 64, height: int = 36) -> Path:
    """A .mov of ``frames`` PNG-coded RGBA frames at 10 fps (OpenCV reads it, but without its alpha)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("png", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "rgba"
        frame = av.VideoFrame.from_ndarray(half_transparent_rgba(width, height), format="rgba")
        for _ in range(frames):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
