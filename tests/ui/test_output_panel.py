"""The Output panel: the recording's line stays where it is whatever the virtual camera's line says."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.engine.sinks import virtual_camera_help
from app.ui.vcam_panel import OutputPanel

pytestmark = pytest.mark.gui


def test_a_long_virtual_camera_explanation_does_not_push_the_recording_line_down(qtbot) -> None:
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.setFixedWidth(340)  # the side panel's width; the height follows the text, as in the window
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_recording(True, "Recording to greenroom-20261125-101500.mp4 \N{MIDDLE DOT} 0:42")
    QApplication.processEvents()
    panel.adjustSize()
    before = panel.record_state.geometry().top()
    panel.show_virtual_camera(
        False, f"Unavailable: no virtual camera device was found. To get one, {virtual_camera_help()}."
    )
    QApplication.processEvents()
    assert (
        panel.virtual_camera_state.heightForWidth(panel.virtual_camera_state.width()) > 3 * panel.fontMetrics().height()
    )
    assert panel.record_state.geometry().top() == before
