"""A one-line label that shows as much of its text as fits, cut at the end with "…" (the whole text in its tooltip).

A plain QLabel never shrinks below its text, and QStatusBar's own message is clipped mid-word where the permanent
figures begin; this label takes the width it is given and elides again whenever that width changes.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


class ElidedLabel(QLabel):
    """``set_full_text(text)`` shows ``text``, or its beginning and "…" when it is wider than the label; then the
    tooltip has the whole text. ``full_text()`` is the text as given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # any width, however narrow

    def full_text(self) -> str:
        return self._full_text

    def set_full_text(self, text: str) -> None:
        self._full_text = text
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._elide()

    def _elide(self) -> None:
        one_line = " ".join(self._full_text.split())  # a line break would show as a second, clipped line
        shown = self.fontMetrics().elidedText(one_line, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        self.setText(shown)
        self.setToolTip(self._full_text if shown != one_line else "")
