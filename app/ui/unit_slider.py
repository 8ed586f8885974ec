"""A horizontal slider for a value in [0, 1] with the value shown beside it (two decimals)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class UnitSlider(QWidget):
    """A 0-100 ``slider`` for a value in [0, 1]; connect to ``slider.valueChanged`` for changes."""

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
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
