"""Controls that ignore the mouse wheel unless they have keyboard focus.

The side panel scrolls on small screens. A wheel turned over a combo box or a slider on the way down would change
that setting (the quality mode, the threshold) instead of scrolling the panel: these controls pass the wheel on to
the panel until the user has clicked or tabbed into them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QSlider, QWidget


class WheelSafeComboBox(QComboBox):
    """A combo box that takes focus by click or Tab only, and the wheel only while focused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # goes on to the scroll area around the control


class WheelSafeSlider(QSlider):
    """A slider that takes focus by click or Tab only, and the wheel only while focused."""

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()
