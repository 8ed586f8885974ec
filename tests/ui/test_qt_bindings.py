"""The Qt bindings keep Python's reference count of None intact.

PySide6 6.12.0 on Python 3.11 releases a reference to None on every call of a method that returns nothing
(``QLabel.setText``, ``QPainter.drawImage``, ...). The window makes several such calls per frame, so after minutes of
streaming None's count reaches zero and the interpreter aborts ("Fatal Python error: none_dealloc"). From Python 3.12
None is immortal and the count never changes; there this test has nothing to measure.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: no count to lose"),
]
CALLS = 2000
SLACK = 50  # references to None that other objects may take or drop meanwhile


def test_methods_that_return_nothing_keep_none_alive(qapp) -> None:
    label, image = QLabel(), QImage(64, 36, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for index in range(CALLS):
            label.setText(str(index % 2))
            painter.fillRect(QRect(0, 0, 8, 8), QColor(index % 256, 0, 0))
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert after >= before - SLACK, f"{before - after} references to None lost in {2 * CALLS} calls"
