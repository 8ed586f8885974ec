"""Controls that ignore the mouse wheel unless they have keyboard focus.

The side panel scrolls on small screens. A wheel turned over a combo box or a slider on the way down would change
that setting (the quality mode, the threshold) instead of scrolling the panel: these controls pass the wheel on to
the panel until the user has clicked or tabbed into them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QSlider


class _WheelWhenFocused:
    """Mixin for a Qt control: focus by click or Tab only (``StrongFocus``), and the wheel only while focused."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # goes on to the scroll area around the control


class WheelSafeComboBox(_WheelWhenFocused, QComboBox):
    """A combo box that takes the wheel only once clicked or tabbed into."""


class WheelSafeSlider(_WheelWhenFocused, QSlider):
    """A slider that takes the wheel only once clicked or tabbed into; ``WheelSafeSlider(orientation)``."""
