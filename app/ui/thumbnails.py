"""Gallery thumbnails (16:9 QImages): pictures, first frames of videos, colour swatches and a blurred sample."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPolygonF

from app.engine.backgrounds import file_kind, first_transparent_frame
from app.engine.pictures import PictureError, read_picture_layers
from app.engine.settings import IMAGE_SUFFIXES, VIDEO_SUFFIXES, BackgroundKind
from app.ui.preview import rgb_to_qimage

THUMBNAIL_SIZE = QSize(128, 72)
_CHECKER_SQUARE = 8
_CHECKER_LIGHT, _CHECKER_DARK = (204, 204, 204), (153, 153, 153)


def cover(image: QImage, size: QSize = THUMBNAIL_SIZE) -> QImage:
    """Scale ``image`` to cover ``size`` keeping its aspect ratio, then centre-crop (like the engine's cover fit)."""
    scaled = image.scaled(
        size, Qt.AspectRatioMode.KeepAspectRatioByExpanding, Qt.TransformationMode.SmoothTransformation
    )
    x, y = (scaled.width() - size.width()) // 2, (scaled.height() - size.height()) // 2
    return scaled.copy(QRect(x, y, size.width(), size.height()))


def image_thumbnail(path: Path) -> QImage | None:
    """A thumbnail of a picture file, decoded at reduced size where the format allows, its transparent parts over a
    grey checkerboard; None if the engine could not use it as a background either (damaged, cut short, too large:
    ``read_picture_layers``)."""
    try:
        rgb, opacity = read_picture_layers(path, max_side=2 * THUMBNAIL_SIZE.width())
    except PictureError:
        return None
    if opacity is None:
        return cover(rgb_to_qimage(rgb))
    return _rgba_thumbnail(np.dstack([rgb, opacity]))


def _rgba_thumbnail(rgba: np.ndarray) -> QImage:
    """(H, W, 4) uint8 RGBA, cover-fitted, its transparent parts over a checkerboard."""
    rgba = np.ascontiguousarray(rgba)
    height, width = rgba.shape[:2]
    picture = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
    return _over_checkerboard(cover(picture))


def _over_checkerboard(picture: QImage) -> QImage:
    """``picture`` drawn over 8-px grey squares, the usual sign of transparency."""
    tile = QImage(picture.size(), QImage.Format.Format_RGB32)
    tile.fill(QColor(*_CHECKER_LIGHT))
    painter = QPainter(tile)
    for y in range(0, tile.height(), _CHECKER_SQUARE):
        for x in range((y // _CHECKER_SQUARE) % 2 * _CHECKER_SQUARE, tile.width(), 2 * _CHECKER_SQUARE):
            painter.fillRect(x, y, _CHECKER_SQUARE, _CHECKER_SQUARE, QColor(*_CHECKER_DARK))
    painter.drawImage(0, 0, picture)
    painter.end()
    return tile


def first_video_frame(path: Path) -> np.ndarray | None:
    """The first frame of a video as (H, W, 3) uint8 RGB, or None if OpenCV cannot decode it."""
    capture = cv2.VideoCapture(str(path))
    try:
        ok, bgr = capture.read() if capture.isOpened() else (False, None)
    finally:
        capture.release()
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok and bgr is not None else None


def video_thumbnail(path: Path) -> QImage | None:
    """The first frame with a play triangle on it (a transparent video's transparent parts over a checkerboard);
    None if unreadable."""
    rgba = first_transparent_frame(path)
    if rgba is not None:
        image = _rgba_thumbnail(rgba)
    else:
        rgb = first_video_frame(path)
        if rgb is None:
            return None
        image = cover(rgb_to_qimage(rgb))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 140))
    centre = QPointF(image.width() / 2, image.height() / 2)
    painter.drawEllipse(centre, 16, 16)
    painter.setBrush(QColor(255, 255, 255, 230))
    painter.drawPolygon(QPolygonF([centre + QPointF(-6, -9), centre + QPointF(-6, 9), centre + QPointF(10, 0)]))
    painter.end()
    return image


def file_thumbnail(path: Path) -> QImage | None:
    """Thumbnail for an image or video file by suffix; None when unreadable or of another type."""
    if path.suffix.lower() not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
        return None
    return image_thumbnail(path) if file_kind(path) is BackgroundKind.IMAGE else video_thumbnail(path)


def swatch(rgb: tuple[int, int, int], label: str = "") -> QImage:
    """A solid colour tile, with ``label`` written on it in a contrasting colour."""
    image = QImage(THUMBNAIL_SIZE, QImage.Format.Format_RGB32)
    image.fill(QColor(*rgb))
    if label:
        luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
        painter = QPainter(image)
        painter.setPen(QColor(20, 20, 20) if luminance > 140 else QColor(245, 245, 245))
        painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, label)
        painter.end()
    return image


def blur_thumbnail(sample_rgb: np.ndarray | None) -> QImage:
    """A heavily blurred sample frame (what the blur background looks like); a soft gradient without one."""
    if sample_rgb is None:
        y, x = np.mgrid[0:72, 0:128].astype(np.float32)
        sample_rgb = np.stack([60 + x, 80 + y, 140 + 0.3 * x], axis=2).clip(0, 255).astype(np.uint8)
    small = cv2.resize(sample_rgb, (THUMBNAIL_SIZE.width(), THUMBNAIL_SIZE.height()), interpolation=cv2.INTER_AREA)
    return rgb_to_qimage(cv2.GaussianBlur(small, (0, 0), 4.0))
