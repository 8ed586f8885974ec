"""A slider that has the keyboard focus (and so the wheel and the arrow keys) shows it, in the window's theme."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox, QPushButton, QToolButton, QVBoxLayout, QWidget

from app.ui.style import STYLE_SHEET, apply_theme
from app.ui.unit_slider import UnitSlider

pytestmark = pytest.mark.gui


def _pixels(widget: QWidget) -> np.ndarray:
    """``widget`` as drawn now, an (H, W, 3) uint8 array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_a_focused_slider_is_marked_and_its_handle_stays_where_it_was(qtbot, qapp) -> None:
    apply_theme(qapp)
    panel = QWidget()
    panel.setStyleSheet(STYLE_SHEET)
    layout = QVBoxLayout(panel)
    focused, other = UnitSlider("focused"), UnitSlider("other")
    elsewhere = QPushButton("elsewhere")
    for unit_slider in (focused, other):
        unit_slider.set_value(0.5)
        layout.addWidget(unit_slider)
    layout.addWidget(elsewhere)
    qtbot.addWidget(panel)
    panel.resize(300, 80)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    elsewhere.setFocus()  # not the first slider, which an activated window gives the focus to
    qtbot.waitUntil(elsewhere.hasFocus)
    unfocused = _pixels(focused.slider)
    assert np.array_equal(unfocused, _pixels(other.slider))  # the two look alike until one has the focus

    focused.slider.setFocus()
    qtbot.waitUntil(focused.slider.hasFocus)
    marked = _pixels(focused.slider)
    changed = np.abs(marked.astype(int) - unfocused.astype(int)).max(axis=2) > 40
    assert changed.sum() >= 30, "a focused slider looks like any other"
    assert np.array_equal(_pixels(other.slider), unfocused)  # only the focused one is marked
    # The mark is drawn around the handle, which does not move: the brightest column (the handle's white middle) stays.
    assert abs(int(marked.sum(axis=(0, 2)).argmax()) - int(unfocused.sum(axis=(0, 2)).argmax())) <= 2


@pytest.mark.parametrize("make", [lambda: QPushButton("Record"), lambda: _combo(), lambda: _tool_button()])
def test_a_focused_button_or_combo_box_is_marked_and_keeps_its_size(qtbot, qapp, make) -> None:
    apply_theme(qapp)
    panel = QWidget()
    panel.setStyleSheet(STYLE_SHEET)
    layout = QVBoxLayout(panel)
    control, elsewhere = make(), QPushButton("elsewhere")
    layout.addWidget(control)
    layout.addWidget(elsewhere)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    elsewhere.setFocus()
    qtbot.waitUntil(elsewhere.hasFocus)
    unfocused, size, hint = _pixels(control), control.size(), control.sizeHint()

    control.setFocus()
    qtbot.waitUntil(control.hasFocus)
    changed = np.abs(_pixels(control).astype(int) - unfocused.astype(int)).max(axis=2) > 40
    assert changed.sum() >= 30, "a focused control looks like any other"
    assert control.size() == size and control.sizeHint() == hint  # the ring takes no room


def _combo() -> QComboBox:
    combo = QComboBox()
    combo.addItems(["Adaptive", "Quality", "Speed"])
    return combo


def _tool_button() -> QToolButton:
    button = QToolButton()
    button.setText("\N{MULTIPLICATION SIGN}")
    return button
