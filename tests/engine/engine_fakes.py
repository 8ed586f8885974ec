"""Fake sources for engine tests: cameras that deliver generated frames and can be unplugged."""

from __future__ import annotations

import time

import numpy as np

from app.engine.sources import Frame, FrameSource, SourceError


class FakeCamera(FrameSource):
    """A camera that delivers generated frames and can be 'unplugged' after ``frames_before_unplug`` frames."""

    realtime = False

    def __init__(self, *, width: int = 320, height: int = 180, fps: float = 60.0, frames_before_unplug: int = -1):
        self.width, self.height, self.fps = width, height, fps
        self.description = f"fake camera ({width}x{height})"
        self._left = frames_before_unplug
        self._index = 0
        self.closed = False

    def read(self) -> Frame:
        if self._left == 0:
            raise SourceError("fake camera stopped delivering frames: was it unplugged?")
        self._left -= 1
        self._index += 1
        rgb = np.full((self.height, self.width, 3), 90, np.uint8)
        rgb[:, : self.width // 2] = (200, 40, 40)
        return Frame(rgb, self._index, time.monotonic())

    def close(self) -> None:
        self.closed = True
