"""Frozen settings objects: the GUI and the command line build a new one and hand it to the engine whole.

Colours are RGB tuples of ints in [0, 255]. ``RenderSettings`` is read by the render thread once per frame, so a
change takes effect at the next frame without restarting the stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.engine.paths import file_problem

GREEN_SCREEN_RGB = (0, 177, 64)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"})
DEFAULT_BLUR_STRENGTH = 0.6  # 0 = a light blur (sigma 8 px on a 720-line frame), 1 = a heavy one (48 px)


class BackgroundKind(Enum):
    IMAGE = "image"
    VIDEO = "video"
    BLUR = "blur"
    COLOR = "color"
    GREEN = "green"
    NONE = "none"  # mask preview: the person mask itself is the picture


@dataclass(frozen=True)
class BackgroundSpec:
    """What goes behind the person. ``path`` for IMAGE/VIDEO, ``color`` for COLOR, ``blur_strength`` in [0, 1]."""

    kind: BackgroundKind = BackgroundKind.BLUR
    path: Path | None = None
    color: tuple[int, int, int] = GREEN_SCREEN_RGB
    blur_strength: float = DEFAULT_BLUR_STRENGTH

    def describe(self) -> str:
        """Short human text, e.g. ``image: beach.jpg``, ``colour #00B140`` or ``blur 0.60``."""
        if self.kind in (BackgroundKind.IMAGE, BackgroundKind.VIDEO):
            return f"{self.kind.value}: {self.path.name if self.path else '?'}"
        if self.kind is BackgroundKind.COLOR:
            return "colour #{:02X}{:02X}{:02X}".format(*self.color)
        if self.kind is BackgroundKind.BLUR:
            return f"blur {self.blur_strength:.2f}"
        return self.kind.value


class BackgroundSpecError(ValueError):
    """A ``--background`` text that names no known background."""


_COLOR_PATTERN = re.compile(r"^(?:color|colour):#?([0-9a-fA-F]{6})$")
_BLUR_PATTERN = re.compile(r"^blur:(\d*\.?\d+)$")


def parse_background_spec(text: str) -> BackgroundSpec:
    """Parse the command-line form: an image or video path, ``blur``, ``blur:S`` (strength S in [0, 1]),
    ``color:#RRGGBB``, ``green`` or ``none``.

    Raises ``BackgroundSpecError`` saying what is accepted; a path must exist and have an image/video suffix.
    """
    lowered = text.strip().lower()
    if not lowered:
        raise BackgroundSpecError(
            "the background is empty: give an image or video file, blur, green, none or color:#RRGGBB"
        )
    if lowered in {"blur", "green", "none"}:
        return BackgroundSpec(kind=BackgroundKind(lowered))
    if lowered.startswith("blur:"):
        match = _BLUR_PATTERN.match(lowered)
        if not match or not 0.0 <= float(match.group(1)) <= 1.0:
            raise BackgroundSpecError(
                f"bad blur strength {text!r}: write blur:S with S from 0 (light) to 1 (heavy), for example blur:0.8"
            )
        return BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=float(match.group(1)))
    if lowered.startswith(("color:", "colour:")):
        match = _COLOR_PATTERN.match(lowered)
        if not match:
            raise BackgroundSpecError(f"bad colour {text!r}: write it as color:#RRGGBB, for example color:#203040")
        value = match.group(1)
        return BackgroundSpec(
            kind=BackgroundKind.COLOR, color=(int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
        )
    path = Path(text).expanduser()
    problem = file_problem(path, folder=f"{path} is a folder; give an image or video file in it", missing=None)
    if problem:
        raise BackgroundSpecError(problem)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
        raise BackgroundSpecError(
            f"unknown background {text!r}: give {accepted_file_types()}, or blur, blur:0.8, green, none or "
            "color:#RRGGBB"
        )
    if not path.exists():  # the name itself was checked above
        raise BackgroundSpecError(f"background file not found: {path}; check the path")
    return BackgroundSpec(kind=BackgroundKind.IMAGE if suffix in IMAGE_SUFFIXES else BackgroundKind.VIDEO, path=path)


def accepted_file_types() -> str:
    """The file types a background can be, for messages: ``a picture (.bmp .jpeg ...) or a video (.avi ...)``."""
    return f"a picture ({' '.join(sorted(IMAGE_SUFFIXES))}) or a video ({' '.join(sorted(VIDEO_SUFFIXES))})"


MIN_FPS, MAX_FPS = 1.0, 120.0  # the output paces the engine and the sinks hold


class QualityMode(Enum):
    ADAPTIVE = "adaptive"  # hold target_fps by trading model input size and mask refresh rate
    QUALITY = "quality"  # largest input, a new mask every frame
    SPEED = "speed"  # smallest input


@dataclass(frozen=True)
class RenderSettings:
    """Per-frame controls.

    - ``threshold`` in [0, 1]: where the soft mask is centred (0.5 = the model's own decision boundary);
    - ``feather`` in [0, 1]: softness of the edge (0 = hard cut, 1 = wide soft edge);
    - ``smoothing`` in [0, 1]: temporal smoothing strength on still edges (0 = none);
    - ``target_fps``: what the adaptive mode holds, and the pace of the virtual camera;
    - ``only_me``: keep only the main person and give everyone else the background (``only_me.py``);
    - ``room_plate``: a picture of the empty room (``room_plate.py``) that makes the mask exact while the frames match
      it (``room_fusion.py``); None: the model alone.
    """

    background: BackgroundSpec = field(default_factory=BackgroundSpec)
    mirror: bool = False
    threshold: float = 0.5
    feather: float = 0.5
    smoothing: float = 0.7
    quality: QualityMode = QualityMode.ADAPTIVE
    target_fps: float = 30.0
    only_me: bool = False
    room_plate: Path | None = None

    def __post_init__(self) -> None:
        for name in ("threshold", "feather", "smoothing"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if not MIN_FPS <= self.target_fps <= MAX_FPS:
            raise ValueError(f"target_fps must be in [{MIN_FPS:g}, {MAX_FPS:g}], got {self.target_fps}")


class SourceKind(Enum):
    CAMERA = "camera"
    VIDEO = "video"
    TEST_PATTERN = "test-pattern"


@dataclass(frozen=True)
class SourceSpec:
    """Where frames come from: a camera (``camera`` = index or device path), a video file, or a test pattern.

    ``width``/``height``/``fps`` are what is asked of a camera (it may give something else; the source reports
    what it got). ``loop`` replays a video file forever (streaming) instead of ending (processing).
    """

    kind: SourceKind
    camera: int | str | None = None
    path: Path | None = None
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    loop: bool = True

    def label(self) -> str:
        """How the window names the source: a video by its file name, anything else by ``describe()``."""
        return self.path.name if self.kind is SourceKind.VIDEO and self.path is not None else self.describe()

    def describe(self) -> str:
        if self.kind is SourceKind.CAMERA:
            return f"camera {self.camera}"
        if self.kind is SourceKind.VIDEO:
            return f"video {self.path.name if self.path else '?'}"
        return "test pattern"


class SourceSpecError(ValueError):
    """A ``--source`` text that names no source."""


def parse_source_spec(text: str, *, loop: bool = True) -> SourceSpec:
    """``0`` / ``1`` (camera index), ``/dev/video2`` (camera path), ``test`` (pattern) or a video file path; raises
    ``SourceSpecError`` for an empty text."""
    stripped = text.strip()
    if not stripped:
        raise SourceSpecError("the source is empty: give a camera index (0), a video file or test")
    if stripped.isdigit():
        return SourceSpec(kind=SourceKind.CAMERA, camera=int(stripped))
    if stripped.lower() in {"test", "test-pattern", "pattern"}:
        return SourceSpec(kind=SourceKind.TEST_PATTERN)
    if stripped.startswith("/dev/video"):
        return SourceSpec(kind=SourceKind.CAMERA, camera=stripped)
    return SourceSpec(kind=SourceKind.VIDEO, path=Path(stripped).expanduser(), loop=loop)
