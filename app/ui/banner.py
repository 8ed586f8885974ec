"""Non-modal message banners at the top of the window: errors never interrupt the stream with a dialog.

One banner per message source (``capture``, ``render``, ``virtual-camera``, ...): a new message from the same
source replaces the text instead of stacking. Banners hide themselves after a few seconds, when dismissed with their
close button, or when the source reports that it recovered.

The banners sit in a scroll area as tall as their wrapped text at the current width, up to ``MAX_HEIGHT``; beyond
that they scroll. The window reserves ``MAX_HEIGHT`` in its minimum size, so banners never push other widgets into
each other and no message is cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from app.engine.events import EventKind


@dataclass(frozen=True)
class _Look:
    background: str
    border: str
    icon: str
    seconds: float  # auto-hide delay; 0 keeps the banner until dismissed


_LOOKS = {
    EventKind.ERROR: _Look("#5c1f24", "#c2474f", "\N{BLACK CIRCLE}", 12.0),
    EventKind.WARNING: _Look("#5a4412", "#d39b22", "\N{WARNING SIGN}", 10.0),
    EventKind.INFO: _Look("#1d3a55", "#3d7fc1", "\N{INFORMATION SOURCE}", 8.0),
    EventKind.RECOVERED: _Look("#1d4a2e", "#3fa463", "\N{CHECK MARK}", 4.0),
}
MAX_HEIGHT = 130  # pixels of banners shown at once (one long one at the minimum width); more scroll


class Banner(QFrame):
    """One coloured strip: icon, word-wrapped message, close button; ``shown_or_hidden`` fires on either."""

    shown_or_hidden = Signal()

    def __init__(self, source: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.kind = EventKind.INFO
        self.setObjectName("banner")
        self._icon = QLabel()
        self._icon.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._icon.setMinimumWidth(18)
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("\N{MULTIPLICATION SIGN}")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 6, 8)
        layout.addWidget(self._icon)
        layout.addWidget(self._text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)

    @property
    def text(self) -> str:
        return self._text.text()

    @property
    def label(self) -> QLabel:
        """The word-wrapped message."""
        return self._text

    def show_message(self, kind: EventKind, message: str, seconds: float | None = None) -> None:
        """Show ``message`` styled for ``kind``; hide after ``seconds`` (default per kind, 0 = stay)."""
        look = _LOOKS[kind]
        self.kind = kind
        self.setStyleSheet(
            f"#banner {{ background: {look.background}; border: 1px solid {look.border}; border-radius: 4px; }}"
            "#banner QLabel { color: #f2f2f2; background: transparent; font-size: 10pt; }"
        )
        self._icon.setText(look.icon)
        self._text.setText(sentence_case(message))
        delay = look.seconds if seconds is None else seconds
        if delay > 0:
            self._timer.start(round(delay * 1000))
        else:
            self._timer.stop()
        self.show()
        self.shown_or_hidden.emit()

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()
        self.shown_or_hidden.emit()


def sentence_case(message: str) -> str:
    """``message`` with a capital first letter, as a banner is a sentence: the engine's and the command line's
    messages start in lower case ("cannot use ..."). A message that starts with a file name ("gone.png was not
    found") or another non-word ("--source", "v4l2loopback") is left as it is."""
    first = message.split(" ", 1)[0].rstrip(":,;")
    if first.isalpha() and first.islower():
        return message[0].upper() + message[1:]
    return message


class BannerArea(QScrollArea):
    """A column of banners; ``show_message`` adds or updates the banner of ``source``. Hidden when none is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QWidget()
        self._layout = QVBoxLayout(column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._banners: dict[str, Banner] = {}
        self.setWidget(column)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit()

    def show_message(self, kind: EventKind, source: str, message: str, *, seconds: float | None = None) -> None:
        banner = self._banners.get(source)
        if banner is None:
            banner = Banner(source, self.widget())
            banner.shown_or_hidden.connect(self._fit)
            self._banners[source] = banner
            self._layout.addWidget(banner)
        banner.show_message(kind, message, seconds)

    def recovered(self, source: str, message: str) -> None:
        """The problem ``source`` reported has cleared: replace its banner by a short confirmation."""
        self.show_message(EventKind.RECOVERED, source, message)

    def dismiss(self, source: str) -> None:
        banner = self._banners.get(source)
        if banner is not None:
            banner.dismiss()

    def visible_banners(self) -> list[Banner]:
        """Banners on screen now, oldest first."""
        return [banner for banner in self._banners.values() if not banner.isHidden()]

    def visible_text(self) -> str:
        return "\n".join(banner.text for banner in self.visible_banners())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # the text wraps differently
            self._fit()

    def _fit(self) -> None:
        """As tall as the visible banners' wrapped text at the current width (at most ``MAX_HEIGHT``), or hidden."""
        if not self.visible_banners():
            self.hide()
            return
        needed = self._layout.heightForWidth(self.width())  # the width of the last layout (before it, a default)
        self.setFixedHeight(min(needed if needed > 0 else self._layout.sizeHint().height(), MAX_HEIGHT))
        self.show()
