"""Fake sources for engine tests: cameras that deliver generated frames and can be unplugged, and generated clips."""

from __future__ import annotations

import time
from collections import namedtuple
from pathlib import Path

import av
import cv2
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


def odd_sized_clip(path: Path, width: int, height: int, frames: int = 5) -> Path:
    """A lossless mkv (FFV1, 4:4:4) of any size: mp4 writers round odd sides down."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        for index in range(frames):
            rgb = np.full((height, width, 3), 40 * index % 256, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        container.mux(stream.encode())
    return path


_DiskUsage = namedtuple("_DiskUsage", "total used free")  # the shape of shutil.disk_usage's result


class FillingDisk:
    """Stands in for ``shutil.disk_usage`` (patch ``app.engine.mp4_writer.shutil.disk_usage``): plenty of room for the
    first ``roomy_checks`` calls, then ``free_after`` bytes, as when a disk fills up during a recording."""

    def __init__(self, roomy_checks: int, free_after: int = 2**20) -> None:
        self.roomy_checks, self.free_after, self.checks = roomy_checks, free_after, 0

    def __call__(self, path: object) -> tuple[int, int, int]:
        self.checks += 1
        free = 10 * 2**30 if self.checks <= self.roomy_checks else self.free_after
        return _DiskUsage(free, 0, free)
