"""The live preview: paints the newest output frame scaled to fit, aspect ratio kept (a plain QWidget, no OpenGL)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

_BACKDROP = QColor(18, 18, 20)
_PLACEHOLDER_TEXT = QColor(170, 170, 175)
MINIMUM_SIZE = QSize(480, 160)  # wide enough that a banner above it wraps a shell command onto a few lines


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB -> a QImage that owns a copy of the pixels (the array may be reused afterwards)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
    frame = np.ascontiguousarray(rgb)
    height, width = frame.shape[:2]
    return QImage(frame.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def fit_rect(image_width: int, image_height: int, area_width: int, area_height: int) -> QRectF:
    """The largest rectangle of the image's aspect ratio centred in the area (letter- or pillar-boxed)."""
    scale = min(area_width / image_width, area_height / image_height)
    width, height = image_width * scale, image_height * scale
    return QRectF((area_width - width) / 2, (area_height - height) / 2, width, height)


class PreviewWidget(QWidget):
    """Shows the last frame given to ``show_frame``; before the first one, a centred placeholder message.

    After ``show_no_signal`` it shows the "no signal" text instead, and ignores frames captured before the signal was
    lost (frames still on their way through the pipeline), so a stale picture is never passed off as live.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = "Starting\N{HORIZONTAL ELLIPSIS}"
        self._lost_since: float | None = None
        self.frames_shown = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(MINIMUM_SIZE)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # A click on the picture takes the keyboard focus from a slider, so Left and Right switch backgrounds again.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(960, 540)

    @property
    def image(self) -> QImage | None:
        return self._image

    @property
    def placeholder(self) -> str:
        """The text shown while there is no frame."""
        return self._placeholder

    @property
    def signal_lost(self) -> bool:
        """True from ``show_no_signal`` until a frame captured after it is shown."""
        return self._lost_since is not None

    def show_frame(self, rgb: np.ndarray, captured_at: float | None = None) -> None:
        """Display an (H, W, 3) uint8 RGB frame (copied) and repaint; nothing is shown while the signal is lost and
        the frame was captured (``captured_at``, monotonic s) before it was."""
        if self._lost_since is not None:
            if captured_at is None or captured_at <= self._lost_since:
                return
            self._lost_since = None
        self._image = rgb_to_qimage(rgb)
        self.frames_shown += 1
        self.update()

    def set_placeholder(self, text: str) -> None:
        """Text shown while there is no frame (and the frame is dropped, so the text is visible)."""
        self._placeholder = text
        self._image = None
        self.update()

    def show_no_signal(self, text: str, *, since: float) -> None:
        """The source has delivered nothing since ``since`` (monotonic s): show ``text`` on the dark backdrop until a
        frame captured after ``since`` arrives."""
        self._lost_since = since
        self.set_placeholder(text)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKDROP)
        if self._image is None:
            painter.setPen(_PLACEHOLDER_TEXT)
            font = QFont(painter.font())
            font.setPointSizeF(font.pointSizeF() * 1.3)
            painter.setFont(font)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(40, 40, -40, -40), flags, self._placeholder)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            target = fit_rect(self._image.width(), self._image.height(), self.width(), self.height())
            painter.drawImage(target, self._image)
        painter.end()
