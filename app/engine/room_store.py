"""Learned room pictures kept in the settings folder, one per source and picture size.

A camera sees another room than another camera, and a room learned at 1280x720 is of no use at 640x480, so each
picture is filed under the source (``room_key``) and the frames' size: ``room-<source>-<W>x<H>-<stamp>.png``. Learning
again writes a new file under a new stamp and removes the old one: the file name changes, so the render settings that
name it change too and the renderer reads the new picture (it reads a file once, when the setting names another).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from pathlib import Path

import numpy as np

from app.engine.room_plate import write_plate
from app.engine.settings import SourceKind, SourceSpec

_UNSAFE = re.compile(r"[^a-z0-9]+")


def room_key(source: SourceSpec) -> str:
    """A file-name-safe name for ``source``: ``camera-0``, ``camera-dev-video2-1a2b3c4d``, ``video-demo-5e6f7a8b``."""
    if source.kind is SourceKind.CAMERA:
        text = str(source.camera)
        readable = _UNSAFE.sub("-", text.lower()).strip("-")
        return f"camera-{readable}" if text.isdigit() else f"camera-{readable[-24:]}-{_digest(text)}"
    if source.kind is SourceKind.VIDEO and source.path is not None:
        stem = _UNSAFE.sub("-", source.path.stem.lower()).strip("-")[:24]
        return f"video-{stem}-{_digest(str(source.path.resolve()))}"
    return "test-pattern"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


class RoomStore:
    """The room pictures in ``folder`` (created when the first one is saved)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _pattern(self, key: str, width: int, height: int) -> str:
        return f"room-{key}-{width}x{height}-*.png"

    def find(self, key: str, width: int, height: int) -> Path | None:
        """The newest picture of the room for source ``key`` at ``width`` x ``height``, or None."""
        if not self.folder.is_dir():
            return None
        found = sorted(self.folder.glob(self._pattern(key, width, height)))
        return found[-1] if found else None

    def save(self, key: str, plate: np.ndarray) -> Path:
        """Keep ``plate`` ((H, W, 3) uint8 RGB) as the room of source ``key`` at its size; returns its new file.
        Raises ``RoomPlateError`` when it cannot be written."""
        height, width = plate.shape[:2]
        older = self.find(key, width, height)
        path = self.folder / f"room-{key}-{width}x{height}-{time.time_ns():020d}.png"
        write_plate(path, plate)
        if older is not None:
            self.forget_file(older)
        return path

    def forget(self, key: str, width: int, height: int) -> None:
        """Remove every picture of the room for source ``key`` at ``width`` x ``height``."""
        if self.folder.is_dir():
            for path in self.folder.glob(self._pattern(key, width, height)):
                self.forget_file(path)

    @staticmethod
    def forget_file(path: Path) -> None:
        with contextlib.suppress(OSError):  # a file that cannot be removed stays; a newer one is found first
            path.unlink(missing_ok=True)
