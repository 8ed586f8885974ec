"""The window at the smallest size it allows: with long banners shown, nothing overlaps and no text is cut off."""

from __future__ import annotations

import itertools
import platform

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget

from app.engine.events import EventKind
from app.engine.settings import SourceKind, SourceSpec
from app.engine.sinks import virtual_camera_help
from app.ui import MainWindow
from app.ui.banner import MAX_HEIGHT
from app.ui.launcher import NO_CAMERA_NOTICE

pytestmark = pytest.mark.gui


def _rect(widget: QWidget, window: MainWindow) -> QRect:
    """``widget``'s rectangle in the window's coordinates."""
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _assert_apart(window: MainWindow, widgets: dict[str, QWidget]) -> None:
    for (first, a), (second, b) in itertools.combinations(widgets.items(), 2):
        assert not _rect(a, window).intersects(_rect(b, window)), f"{first} overlaps {second}"


def _assert_whole(label: QLabel) -> None:
    """A word-wrapped label is as tall as its text needs at its width."""
    assert label.height() >= label.heightForWidth(label.width()), label.text()


@pytest.fixture
def smallest_window_with_two_banners(open_window, qtbot, frames) -> MainWindow:
    window = open_window(notice=NO_CAMERA_NOTICE)
    frames.fresh(window)
    qtbot.mouseClick(window.output_panel.virtual_camera, Qt.MouseButton.LeftButton)  # none here: a long panel text
    stopped = f"the virtual camera stopped: its device went away. To get one again, {virtual_camera_help()}"
    window.banners.show_message(EventKind.ERROR, "virtual-camera", stopped)  # as a sink failing later shows it
    assert len(window.banners.visible_banners()) == 2
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize())
    QApplication.processEvents()
    return window


def test_banners_preview_and_gallery_do_not_overlap_at_the_minimum_size(smallest_window_with_two_banners):
    window = smallest_window_with_two_banners
    gallery_group = window.gallery.parentWidget()
    _assert_apart(window, {"banners": window.banners, "preview": window.preview, "gallery": gallery_group})
    bottom = window.centralWidget().geometry().bottom()
    assert _rect(gallery_group, window).bottom() <= bottom
    assert window.preview.height() >= window.preview.minimumHeight()


def test_banner_text_is_never_cut_off_at_the_minimum_size(smallest_window_with_two_banners):
    window = smallest_window_with_two_banners
    for banner in window.banners.visible_banners():
        _assert_whole(banner.label)
    if window.banners.verticalScrollBar().maximum() > 0:  # more than fits at once: they scroll, never clip
        assert window.banners.height() == MAX_HEIGHT
    if platform.system() == "Linux":  # the command to type stays on screen (or a scroll away), whole
        assert "sudo modprobe v4l2loopback" in window.banners.visible_text()


def test_output_panel_text_is_not_clipped_at_the_minimum_size(smallest_window_with_two_banners):
    window = smallest_window_with_two_banners
    panel = window.output_panel
    _assert_whole(panel.virtual_camera_state)
    _assert_apart(
        window,
        {"state": panel.virtual_camera_state, "record": panel.record, "record state": panel.record_state},
    )


SMALL_SCREEN = (1024, 600)  # a common small laptop screen
WINDOW_FRAME_AND_PANEL = 32 + 40  # a title bar and a desktop panel take this much of its height


def test_the_whole_window_fits_a_1024x600_screen(open_window):
    minimum = open_window().minimumSize()
    assert minimum.width() <= SMALL_SCREEN[0]
    assert minimum.height() <= SMALL_SCREEN[1] - WINDOW_FRAME_AND_PANEL, minimum


def test_a_long_video_file_name_does_not_widen_the_side_panel(open_window, qtbot, tmp_path):
    window = open_window()
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize())
    clip = tmp_path / "pixabay_thoughtful_35590_640x360_a_very_long_name_from_a_stock_site.mp4"
    window.source_panel.show_source(SourceSpec(kind=SourceKind.VIDEO, path=clip))
    window.source_panel.show_description(f"video {clip.name} (640x360 @ 29.97 fps)")
    QApplication.processEvents()
    [side] = [area for area in window.findChildren(QScrollArea) if area.isAncestorOf(window.source_panel)]
    assert side.horizontalScrollBar().maximum() == 0  # nothing sticks out to the right
    description = window.source_panel.description
    assert description.full_text() == f"Now: video {clip.name} (640x360 @ 29.97 fps)" == description.toolTip()
    _assert_whole(description)  # wrapped within the panel, on as many lines as it takes
