"""Frame sources: a camera (OpenCV), a video file and a generated test pattern.

Every source is a context manager whose ``read()`` returns a ``Frame`` with an (H, W, 3) uint8 RGB image (converted
once, here at the edge), or None when a non-looping video has ended. Problems raise ``SourceError`` with a message
that says what to do.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from app.engine.paths import file_problem
from app.engine.settings import IMAGE_SUFFIXES, SourceKind, SourceSpec


class SourceError(RuntimeError):
    """A source cannot be opened or stopped delivering frames. ``reason`` is the message without the file's name,
    for callers that name the file in their own words (a background video)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


@dataclass(frozen=True)
class Frame:
    """One captured frame: ``rgb`` (H, W, 3) uint8, its sequence ``index`` and ``captured_at`` (monotonic s)."""

    rgb: np.ndarray
    index: int
    captured_at: float


class FrameSource:
    """Base: ``width``, ``height``, ``fps`` describe what the source really delivers; ``realtime`` is True for
    sources that pace themselves (cameras) and False for files and patterns that the reader must pace."""

    width: int
    height: int
    fps: float
    realtime: bool = False
    description: str = ""

    def read(self) -> Frame | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class CameraSource(FrameSource):
    """A webcam through OpenCV, asking for MJPG at the requested size and fps (reports what it really gave)."""

    realtime = True

    def __init__(self, camera: int | str, *, width: int, height: int, fps: float) -> None:
        cannot_open = SourceError(
            f"camera {camera} could not be opened: check that it is plugged in and not used by another app "
            "(`greenroom cameras` lists the cameras found)"
        )
        try:
            self._capture = cv2.VideoCapture(camera)
        except (cv2.error, OverflowError) as error:  # e.g. an index too large for the driver API
            raise cannot_open from error
        if not self._capture.isOpened():
            self._capture.release()
            raise cannot_open
        self._capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture.set(cv2.CAP_PROP_FPS, fps)
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or fps
        self._camera = camera
        self._index = 0
        self.description = f"camera {camera} ({self.width}x{self.height} @ {self.fps:g} fps)"

    def read(self) -> Frame | None:
        ok, bgr = self._capture.read()
        if not ok or bgr is None:
            raise SourceError(f"camera {self._camera} stopped delivering frames: was it unplugged?")
        self._index += 1
        return Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._index, time.monotonic())

    def close(self) -> None:
        self._capture.release()


class VideoFileSource(FrameSource):
    """A video file; ``loop`` restarts it at the end (streaming), otherwise ``read`` returns None at the end."""

    def __init__(self, path: Path, *, loop: bool) -> None:
        problem = file_problem(
            path,
            folder=f"{path} is a folder, not a video file; pick a video file",
            missing=f"video file not found: {path}; check the path",
        )
        if problem:
            raise SourceError(problem)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise SourceError(
                f"{path.name} is a still image, not a video: use it as a background, and give a video file, a camera "
                "or the test pattern as the source"
            )
        self._path = path
        self._capture = cv2.VideoCapture(str(path))
        too_large = video_size_problem(
            int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        )
        if too_large:  # known from the header: decoding one such frame could take gigabytes
            self._capture.release()
            raise SourceError(f"cannot use video {path}: {too_large}", reason=too_large)
        ok, bgr = self._capture.read() if self._capture.isOpened() else (False, None)
        if not ok or bgr is None:
            self._capture.release()
            reason = unreadable_video_reason(path)
            raise SourceError(f"cannot read video {path}: {reason}", reason=reason)
        self._first: np.ndarray | None = bgr
        self.height, self.width = bgr.shape[:2]
        reported_fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.fps = reported_fps if 1.0 <= reported_fps <= 240.0 else 30.0
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self._loop = loop
        self._index = 0
        self.description = f"video {path.name} ({self.width}x{self.height} @ {self.fps:.4g} fps)"

    def read(self) -> Frame | None:
        if self._first is not None:
            bgr, self._first = self._first, None
        else:
            ok, bgr = self._capture.read()
            if not ok:
                if not self._loop or self._index == 0:
                    return None
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, bgr = self._capture.read()
                if not ok:  # a file cut short may not seek: open it again from the start
                    self._capture.release()
                    self._capture = cv2.VideoCapture(str(self._path))
                    ok, bgr = self._capture.read()
                if not ok:
                    raise SourceError(f"cannot rewind video {self._path}: the file may be damaged or gone")
        self._index += 1
        return Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._index, time.monotonic())

    def close(self) -> None:
        self._capture.release()


MAX_VIDEO_PIXELS = 7680 * 4320  # 8K UHD: a frame of it is 100 MB in RGB; more is no camera's and no call's size


def video_size_problem(width: int, height: int) -> str:
    """Why frames of ``width`` x ``height`` are too large to take (over ``MAX_VIDEO_PIXELS``), or ""."""
    if width * height <= MAX_VIDEO_PIXELS:
        return ""
    return f"its frames are {width}x{height}; Greenroom takes videos of up to 7680x4320 (8K), so scale it down first"


def unreadable_video_reason(path: Path) -> str:
    """Why a file OpenCV cannot read a first frame from is no video to play, looked at with PyAV: it holds only
    sound, its video track has no frames, or it is damaged or not a video at all."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                has_sound = bool(container.streams.audio)
                return "it holds only sound, no video" if has_sound else "it holds no video track"
            for _ in container.decode(video=0):
                return "the file is damaged or not a video OpenCV can decode"
            return "its video track has no frames"
    except (av.FFmpegError, OSError, ValueError, IndexError):
        pass
    return "the file is damaged or not a video OpenCV can decode"


class TestPatternSource(FrameSource):
    """A generated scene: a gradient backdrop with a grid and a head-and-shoulders figure that sways."""

    def __init__(self, *, width: int = 1280, height: int = 720, fps: float = 30.0) -> None:
        self.width, self.height, self.fps = width, height, fps
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        backdrop = np.stack([x / width * 200 + 30, y / height * 160 + 40, np.full_like(x, 120)], axis=2)
        backdrop[(x.astype(int) % 80 < 2) | (y.astype(int) % 80 < 2)] = 230
        self._backdrop = backdrop.astype(np.uint8)
        self._index = 0
        self.description = f"test pattern ({width}x{height} @ {fps:g} fps)"

    def read(self) -> Frame:
        rgb = self._backdrop.copy()
        sway = int(math.sin(self._index / self.fps * 2.0) * self.width * 0.08)
        centre_x = self.width // 2 + sway
        head_radius = self.height // 8
        cv2.ellipse(rgb, (centre_x, self.height), (self.width // 5, self.height // 3), 0, 180, 360, (60, 70, 160), -1)
        cv2.circle(rgb, (centre_x, self.height - self.height // 3 - head_radius // 2), head_radius, (205, 160, 130), -1)
        self._index += 1
        return Frame(rgb, self._index, time.monotonic())


def open_source(spec: SourceSpec) -> FrameSource:
    """Open the source ``spec`` describes; raises ``SourceError``."""
    if spec.kind is SourceKind.CAMERA:
        if spec.camera is None:
            raise SourceError("no camera given: pass a camera index such as 0 or a device path")
        return CameraSource(spec.camera, width=spec.width, height=spec.height, fps=spec.fps)
    if spec.kind is SourceKind.VIDEO:
        if spec.path is None:
            raise SourceError("no video file given")
        return VideoFileSource(spec.path, loop=spec.loop)
    return TestPatternSource(width=spec.width, height=spec.height, fps=spec.fps)
