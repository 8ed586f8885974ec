"""The Output panel: the recording's line stays where it is whatever the virtual camera's line says, and without a
virtual camera device that line is short, its link opening the setup explanation. The recording's own lines stay short
too, while it runs and when a full disk stops it, the details in their tooltip."""

from __future__ import annotations

import platform
import re
import shutil
from collections import namedtuple

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QMessageBox

from app.engine.events import EngineEvent, EventKind
from app.engine.sinks import virtual_camera_help
from app.ui.output_panel import OutputPanel

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


def _plain(rich_text: str) -> str:
    document = QTextDocument()
    document.setHtml(rich_text)
    return document.toPlainText()


def test_without_a_virtual_camera_one_line_says_so_and_its_link_opens_the_setup_explanation(
    open_window, qtbot, frames
) -> None:
    window = open_window()
    frames.fresh(window)
    panel = window.output_panel
    state = panel.virtual_camera_state
    qtbot.mouseClick(panel.virtual_camera, Qt.MouseButton.LeftButton)  # there is no virtual camera device here
    assert not panel.virtual_camera.isChecked()
    assert state.heightForWidth(state.width()) < 2 * state.fontMetrics().lineSpacing(), _plain(state.text())
    command = "exclusive_caps=1" if platform.system() == "Linux" else "OBS"
    assert virtual_camera_help() in _plain(state.toolTip()) and command in _plain(state.toolTip())

    line = _plain(state.text())
    assert line.endswith("How to set one up")
    link = QPoint(state.fontMetrics().horizontalAdvance(line) - 8, state.height() // 2)  # on the link's last word
    qtbot.mouseClick(state, Qt.MouseButton.LeftButton, pos=link)
    windows = QApplication.topLevelWidgets
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible() for w in windows()))
    (dialog,) = [w for w in windows() if isinstance(w, QMessageBox) and w.isVisible()]
    assert virtual_camera_help() in dialog.text() and command in dialog.text()
    assert "no virtual camera available" in dialog.detailedText()  # the driver's own words, behind Show Details
    assert dialog.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse  # commands can be copied
    assert QApplication.activeModalWidget() is None  # the stream and the window stay usable
    frames.fresh(window)


def _lines(label) -> float:
    """How many lines ``label``'s word-wrapped text takes at its width."""
    return label.heightForWidth(label.width()) / label.fontMetrics().lineSpacing()


def test_the_recording_line_takes_at_most_two_lines_of_the_side_panel(open_window, qtbot, frames) -> None:
    window = open_window()
    frames.fresh(window)
    panel = window.output_panel
    qtbot.mouseClick(panel.record, Qt.MouseButton.LeftButton)
    assert panel.record.isChecked()
    state = panel.record_state
    QApplication.processEvents()  # the layout gives the label its width
    assert _lines(state) <= 2, state.text()
    assert re.fullmatch(r"Recording 0:0\d \N{EM DASH} greenroom-[-\d]+\.mp4", state.text()), state.text()
    assert state.toolTip() == str(window.outputs.sinks.recorder.path)  # the folder too, on hover

    qtbot.mouseClick(panel.record, Qt.MouseButton.LeftButton)  # stop: the saved line and its "Open folder" link
    qtbot.waitUntil(lambda: "Open folder" in state.text(), timeout=10_000)
    QApplication.processEvents()
    assert _lines(state) <= 2, state.text()


_DiskUsage = namedtuple("_DiskUsage", "total used free")  # the shape of shutil.disk_usage's result


def test_a_full_disk_stops_the_recording_with_a_short_line_and_the_details_in_its_tooltip(
    open_window, qtbot, frames, monkeypatch
) -> None:
    window = open_window()
    frames.fresh(window)
    panel = window.output_panel
    qtbot.mouseClick(panel.record, Qt.MouseButton.LeftButton)
    path = window.outputs.sinks.recorder.path
    qtbot.waitUntil(lambda: window.outputs.sinks.recorder.frames_sent >= 1, timeout=10_000)
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: _DiskUsage(2**30, 2**30 - 2**20, 2**20))  # 1 MB left

    qtbot.waitUntil(lambda: not panel.record.isChecked(), timeout=10_000)  # at the next free-space check
    state = panel.record_state
    QApplication.processEvents()
    assert re.fullmatch(rf"Stopped: the disk is full\. Kept 0:0\d in {re.escape(path.name)}", state.text()), (
        state.text()
    )
    assert _lines(state) <= 2, state.text()
    assert "nearly full (1 MB free)" in state.toolTip() and f"Kept {path}" in state.toolTip()
    banner = window.banners.visible_text()
    assert "nearly full" in banner and banner.count(str(path)) == 1 and "Errno" not in banner
    assert path.is_file()


def test_a_virtual_camera_failing_later_is_one_short_line_with_the_reason_in_its_tooltip(open_window) -> None:
    window = open_window()
    reason = "the virtual camera stopped: its device /dev/video10 went away. To get one again, load v4l2loopback"
    window.outputs.handle_failure(EngineEvent(EventKind.ERROR, "virtual-camera", reason))
    state = window.output_panel.virtual_camera_state
    assert not window.output_panel.virtual_camera.isChecked()
    assert state.text() == "Stopped: the virtual camera failed" and state.toolTip() == reason


def test_the_setup_link_is_reached_with_tab_and_opened_with_enter(open_window, qtbot, frames) -> None:
    window = open_window()
    frames.fresh(window)
    panel = window.output_panel
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.mouseClick(panel.virtual_camera, Qt.MouseButton.LeftButton)  # no device here: the one-line state and link
    panel.virtual_camera.setFocus()
    qtbot.waitUntil(panel.virtual_camera.hasFocus)
    qtbot.keyClick(panel.virtual_camera, Qt.Key.Key_Tab)  # the next Tab stop is the link beside the switch
    state = panel.virtual_camera_state
    qtbot.waitUntil(state.hasFocus)
    qtbot.keyClick(state, Qt.Key.Key_Tab)  # within the line, Tab goes from link to link
    assert state.selectedText() == "How to set one up"
    qtbot.keyClick(state, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.setup_dialog is not None and panel.setup_dialog.isVisible())
