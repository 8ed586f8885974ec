"""A horizontal slider for a value in [0, 1] with the value shown beside it (two decimals).

Left and Right are also window shortcuts (previous and next background); a focused slider keeps them for itself,
so the arrow keys move the slider the user is on and switch backgrounds everywhere else.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.ui.wheel_safe import WheelSafeSlider

_OWN_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right)
_PLAIN = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)  # the arrows alone, or the keypad's


class _ArrowKeysSlider(WheelSafeSlider):
    """A slider that claims Left and Right before the window's shortcuts see them."""

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in _OWN_KEYS
            and event.modifiers() in _PLAIN
        ):
            event.accept()  # delivered as a key press to this slider instead of triggering a shortcut
            return True
        return super().event(event)


class UnitSlider(QWidget):
    """A 0-100 ``slider`` for a value in [0, 1]; connect to ``slider.valueChanged`` for changes."""

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = _ArrowKeysSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setToolTip(tooltip)
        self._number = QLabel()
        self._number.setMinimumWidth(32)
        self._number.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.slider.valueChanged.connect(lambda value: self._number.setText(f"{value / 100:.2f}"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self._number)

    def value(self) -> float:
        return self.slider.value() / 100.0

    def set_value(self, value: float) -> None:
        self.slider.setValue(round(value * 100))
        self._number.setText(f"{value:.2f}")
