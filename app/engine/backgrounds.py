"""Background renderers: what the person is composited onto.

Each renderer's ``render(frame, person)`` takes the current (H, W, 3) uint8 RGB frame and the person's alpha for it
((H, W) uint8, 255 = person, or None when there is none) and returns an (H, W, 3) uint8 RGB background of the same
size. Only the blur (and a picture's transparent parts, which show the blur) uses the alpha: it blurs the room
without the person in it. Images and videos are cover-fitted (scaled to fill, centre-cropped, never stretched).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import av
import cv2
import numpy as np
from PIL import Image

from app.engine.fitting import cover_fit
from app.engine.paths import file_problem
from app.engine.pictures import PictureError, read_picture_layers
from app.engine.settings import (
    DEFAULT_BLUR_STRENGTH,
    GREEN_SCREEN_RGB,
    IMAGE_SUFFIXES,
    BackgroundKind,
    BackgroundSpec,
)
from app.engine.sources import SourceError, VideoFileSource, video_size_problem


class BackgroundError(RuntimeError):
    """A background file cannot be used."""


class Background(Protocol):
    """What every background renderer does (see the module docstring for the frame contract)."""

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray: ...

    def close(self) -> None: ...


class ImageBackground:
    """A still picture (``read_picture_layers``: upright, at most 3840 px on its longer side), cover-fitted once per
    frame size.

    Where the picture is transparent (a PNG or WebP with an alpha channel, a palette PNG's transparent colour), the
    room shows through blurred as by ``BlurBackground(blur_strength)``, the person left out: never the unblurred room,
    and never the colours a transparent pixel happens to store.
    """

    def __init__(self, path: Path, blur_strength: float = DEFAULT_BLUR_STRENGTH) -> None:
        try:
            rgb, opacity = read_picture_layers(path)
        except PictureError as error:
            raise BackgroundError(f"cannot read background image {path}: {error}") from None
        self._layers = rgb if opacity is None else premultiplied_layers(np.dstack([rgb, opacity]))
        self._room = BlurBackground(blur_strength)
        self._fitted: tuple[np.ndarray, np.ndarray | None] | None = None

    @property
    def needs_person(self) -> bool:
        """True for a picture with transparent parts: they show the room blurred around the person's alpha. An opaque
        picture's ``render`` returns one array per frame size, never written to again."""
        return self._layers.shape[2] == 4

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
        height, width = frame.shape[:2]
        if self._fitted is None or self._fitted[0].shape[:2] != (height, width):
            self._fitted = split_layers(cover_fit(self._layers, width, height))
        picture, transparency = self._fitted
        if transparency is None:
            return picture
        return over_room(picture, transparency, self._room.render(frame, person))

    def close(self) -> None:
        """Nothing to release."""


def premultiplied_layers(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 RGBA with its colour multiplied by its opacity (OpenCV's mRGBA; the opacity stays, 255 =
    opaque). Premultiplied, the layers resize (``cover_fit``) without a fringe of the colours that transparent pixels
    store."""
    return cv2.cvtColor(rgba, cv2.COLOR_RGBA2mRGBA)


def split_layers(fitted: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Fitted layers as ``over_room`` takes them: the (H, W, 3) uint8 colour (premultiplied for
    ``premultiplied_layers``) and the (H, W, 3) uint8 transparency (255 = the room shows through), or None for an
    opaque (H, W, 3) picture."""
    if fitted.shape[2] == 3:
        return fitted, None
    opacity = cv2.extractChannel(fitted, 3)
    return cv2.cvtColor(fitted, cv2.COLOR_RGBA2RGB), cv2.bitwise_not(cv2.merge((opacity, opacity, opacity)))


def over_room(picture: np.ndarray, transparency: np.ndarray, room: np.ndarray) -> np.ndarray:
    """A transparent picture over the room: ``picture`` (H, W, 3) uint8 colour premultiplied by its opacity,
    ``transparency`` (H, W, 3) uint8 (255 = the room shows through), ``room`` (H, W, 3) uint8 RGB. Returns (H, W, 3)
    uint8 RGB."""
    return cv2.add(picture, cv2.multiply(room, transparency, scale=1.0 / 255.0))


class VideoBackground:
    """A looping video: a looping ``VideoFileSource`` (the same checks, size limit and rewinding as a source video);
    each rendered frame advances it by one frame, and a frame that cannot be read shows the last one again."""

    def __init__(self, path: Path) -> None:
        try:
            self._video = VideoFileSource(path, loop=True)
            first = self._video.read()
        except SourceError as error:
            raise BackgroundError(f"cannot read background video {path}: {error.reason}") from None
        if first is None:
            self._video.close()
            raise BackgroundError(f"cannot read background video {path}: it has no frames")
        self._last = first.rgb

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
        try:
            shown = self._video.read()
        except SourceError:  # a damaged part: show the last good frame
            shown = None
        if shown is not None:
            self._last = shown.rgb
        return cover_fit(self._last, frame.shape[1], frame.shape[0])

    def close(self) -> None:
        self._video.close()


class TransparentVideoBackground:
    """A looping video with an alpha channel (for example PNG, QuickTime Animation or ProRes 4444 in a .mov),
    decoded with PyAV, which keeps the alpha that OpenCV drops. Like a transparent picture, its transparent parts
    show the room blurred as by ``BlurBackground(blur_strength)``, the person left out."""

    def __init__(self, path: Path, blur_strength: float = DEFAULT_BLUR_STRENGTH) -> None:
        try:
            self._container = av.open(str(path))
            stream = self._container.streams.video[0]
            too_large = video_size_problem(stream.codec_context.width, stream.codec_context.height)
            if too_large:
                self._container.close()
                raise BackgroundError(f"cannot use background video {path}: {too_large}")
            self._frames = self._container.decode(video=0)
            self._last = next(self._frames).to_ndarray(format="rgba")
        except (av.FFmpegError, StopIteration, IndexError) as error:
            raise BackgroundError(f"cannot read background video {path}: the file is damaged ({error})") from None
        self._room = BlurBackground(blur_strength)

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
        try:
            self._last = next(self._frames).to_ndarray(format="rgba")
        except (StopIteration, av.FFmpegError):  # the end, or a damaged frame: start over, showing the last good one
            self._container.seek(0)
            self._frames = self._container.decode(video=0)
        layers = cover_fit(premultiplied_layers(self._last), frame.shape[1], frame.shape[0])
        picture, transparency = split_layers(layers)
        if transparency is None:  # RGBA layers always have it; an opaque picture would need no room
            return picture
        return over_room(picture, transparency, self._room.render(frame, person))

    def close(self) -> None:
        self._container.close()


def _has_alpha(stream: av.video.stream.VideoStream) -> bool:
    """True if ``stream`` decodes to a pixel format with an alpha channel (grey + alpha, or colour + alpha)."""
    pixel_format = stream.codec_context.pix_fmt
    return pixel_format is not None and len(av.VideoFormat(pixel_format).components) in (2, 4)


def video_has_transparency(path: Path) -> bool:
    """True if the first video stream of ``path`` has an alpha channel (PyAV); False for an unreadable file."""
    try:
        with av.open(str(path)) as container:
            return _has_alpha(container.streams.video[0])
    except (av.FFmpegError, IndexError, ValueError, TypeError):
        return False


def first_transparent_frame(path: Path) -> np.ndarray | None:
    """The first frame of a video with an alpha channel as (H, W, 4) uint8 RGBA (PyAV); None for a video without one
    or an unreadable file."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return next(container.decode(stream)).to_ndarray(format="rgba") if _has_alpha(stream) else None
    except (av.FFmpegError, StopIteration, IndexError, ValueError, TypeError):
        return None


def file_kind(path: Path) -> BackgroundKind:
    """IMAGE or VIDEO for a background file: a picture by its suffix, or by its content whatever its name says (a PNG
    saved as .mp4, which OpenCV would play without its transparency); a video otherwise."""
    return (
        BackgroundKind.IMAGE
        if path.suffix.lower() in IMAGE_SUFFIXES or _is_picture_file(path)
        else BackgroundKind.VIDEO
    )


def _is_picture_file(path: Path) -> bool:
    """True if Pillow recognises ``path`` as a picture (it reads the header only)."""
    try:
        with Image.open(path):
            return True
    except (OSError, SyntaxError, ValueError):
        return False


_BLUR_REFERENCE_SIDE = 720  # the blur's sigma is set for frames whose shorter side is this, and scaled with it


class BlurBackground:
    """The room behind the person, blurred at reduced size (cheap) and scaled back up; ``strength`` in [0, 1].

    The blur's radius is relative to the frame: sigma 8 px (strength 0) to 48 px (strength 1) on a 720-line frame,
    scaled with the frame's shorter side, so a strength hides the room as much at 4K as at 720p.

    Given the person's alpha, the person is left out of the blur (``blur_around``): blurring the whole frame would
    smear the person's colours into the room around them, a glow of their shirt or hair that follows every move.
    """

    def __init__(self, strength: float) -> None:
        self._sigma = 4.0 * (2.0 + 10.0 * strength)  # in pixels of a 720-line frame

    def sigma_for(self, height: int, width: int) -> float:
        """The blur's sigma in pixels of a frame of this size."""
        return self._sigma * min(height, width) / _BLUR_REFERENCE_SIDE

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
        sigma = self.sigma_for(frame.shape[0], frame.shape[1])
        if person is None:
            return heavy_blur(frame, factor=4, sigma=max(sigma / 4.0, 0.5))
        return blur_around(frame, person, sigma=sigma)

    def close(self) -> None:
        """Nothing to release."""


class SolidBackground:
    """One colour (RGB)."""

    def __init__(self, color: tuple[int, int, int]) -> None:
        self._color = np.array(color, np.uint8)
        self._canvas: np.ndarray | None = None

    def render(self, frame: np.ndarray, person: np.ndarray | None = None) -> np.ndarray:
        if self._canvas is None or self._canvas.shape != frame.shape:
            self._canvas = np.empty_like(frame)
            self._canvas[:] = self._color
        return self._canvas

    def close(self) -> None:
        """Nothing to release."""


_PERSON_MARGIN = np.ones((3, 3), np.uint8)  # at the reduced size: the soft edge's outer part counts as person too
_MIN_ROOM_WEIGHT = 1e-3  # below this no room pixel is within reach of the blur


def blur_around(frame: np.ndarray, person: np.ndarray, *, sigma: float) -> np.ndarray:
    """A Gaussian blur (``sigma`` in full-size pixels) of the room alone: a normalised convolution that averages only
    pixels outside the person, worked at 1/16 of the frame size for a wide blur (``sigma`` 64 or more, at 4K), 1/8
    from 16, and 1/4 for a light one.

    ``frame``: (H, W, 3) uint8 RGB; ``person``: (H, W) uint8 alpha, 255 = person. Returns (H, W, 3) uint8 RGB. Each
    pixel is the Gaussian-weighted mean of nearby room pixels (weight ``1 - alpha``, the person widened by one pixel
    at the reduced size). Deep inside a large person, with no room pixel within reach, it is the room's mean colour:
    the composite covers those pixels with the person.
    """
    factor = 16 if sigma >= 64 else 8 if sigma >= 16 else 4
    height, width = frame.shape[:2]
    size = (max(1, width // factor), max(1, height // factor))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    covered = cv2.dilate(cv2.resize(person, size, interpolation=cv2.INTER_AREA), _PERSON_MARGIN)
    room = (255 - covered).astype(np.float32) * (1.0 / 255.0)
    premultiplied = small * room[..., None]
    weighted = cv2.GaussianBlur(premultiplied, (0, 0), sigma / factor)
    weight = cv2.GaussianBlur(room, (0, 0), sigma / factor)
    blurred = weighted / np.maximum(weight, _MIN_ROOM_WEIGHT)[..., None]
    out_of_reach = weight < _MIN_ROOM_WEIGHT
    if out_of_reach.any():
        total = float(room.sum())
        mean = premultiplied.reshape(-1, 3).sum(axis=0) / total if total > 0 else small.reshape(-1, 3).mean(axis=0)
        blurred[out_of_reach] = mean
    return cv2.resize(blurred.clip(0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)


def heavy_blur(frame: np.ndarray, *, factor: int, sigma: float) -> np.ndarray:
    """Downscale by ``factor``, Gaussian-blur with ``sigma`` (small-image pixels), scale back: (H, W, 3) uint8."""
    height, width = frame.shape[:2]
    small = cv2.resize(frame, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def make_background(spec: BackgroundSpec) -> Background | None:
    """A renderer for ``spec``; raises ``BackgroundError`` if its file cannot be used. NONE returns None."""
    if spec.kind in (BackgroundKind.IMAGE, BackgroundKind.VIDEO):
        path = _require_path(spec)
        if file_kind(path) is BackgroundKind.IMAGE:
            return ImageBackground(path, spec.blur_strength)
        if video_has_transparency(path):
            return TransparentVideoBackground(path, spec.blur_strength)
        return VideoBackground(path)
    if spec.kind is BackgroundKind.BLUR:
        return BlurBackground(spec.blur_strength)
    if spec.kind is BackgroundKind.COLOR:
        return SolidBackground(spec.color)
    if spec.kind is BackgroundKind.GREEN:
        return SolidBackground(GREEN_SCREEN_RGB)
    return None


def _require_path(spec: BackgroundSpec) -> Path:
    missing = f"background file not found: {spec.path}"
    problem = missing if spec.path is None else file_problem(spec.path, folder=missing, missing=missing)
    if problem or spec.path is None:
        raise BackgroundError(f"{problem}; pick another background")
    return spec.path
