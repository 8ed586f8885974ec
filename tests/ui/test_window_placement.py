"""The window opens inside the screen: on a first run sized to fit and centred, and never beyond the available area."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QRect, QSize

from app.ui.window_placement import FRAME_ALLOWANCE, PREFERRED_SIZE, first_run_geometry

pytestmark = pytest.mark.gui

MINIMUM = QSize(890, 524)


@pytest.mark.parametrize(
    "available",
    [
        QRect(0, 0, 1280, 760),  # a 1280x800 laptop with a 40 px panel
        QRect(0, 32, 1024, 568),  # a 1024x600 netbook with a top panel
        QRect(1920, 0, 1366, 728),  # a second monitor right of the first
    ],
)
def test_first_run_geometry_fits_the_available_area_with_the_frame_and_is_centred(available):
    window = first_run_geometry(available, MINIMUM)
    assert available.contains(window.marginsAdded(FRAME_ALLOWANCE))
    assert window.width() >= MINIMUM.width() and window.height() >= MINIMUM.height()
    assert abs(window.marginsAdded(FRAME_ALLOWANCE).center().x() - available.center().x()) <= 1


def test_first_run_geometry_is_the_preferred_size_on_a_large_screen():
    available = QRect(0, 0, 2560, 1400)
    window = first_run_geometry(available, MINIMUM)
    assert window.size() == PREFERRED_SIZE
    assert abs(window.marginsAdded(FRAME_ALLOWANCE).center().y() - available.center().y()) <= 1


def test_first_run_geometry_never_goes_below_the_minimum_and_keeps_the_title_bar_on_screen():
    available = QRect(0, 0, 800, 480)
    window = first_run_geometry(available, MINIMUM)
    assert window.size() == MINIMUM
    framed = window.marginsAdded(FRAME_ALLOWANCE)
    assert framed.topLeft() == available.topLeft()


def _inside_the_screen_height(window) -> None:
    """Inside the screen from top to bottom (the 800 px offscreen screen is narrower than the window's minimum)."""
    available = window.screen().availableGeometry()
    frame = window.frameGeometry()
    assert available.top() <= frame.top() and frame.bottom() <= available.bottom(), (frame, available)


def test_a_first_run_window_fits_the_screen_and_is_centred(open_window):
    window = open_window()  # a fresh profile; the offscreen screen is 800x800, narrower than the minimum width
    _inside_the_screen_height(window)
    available = window.screen().availableGeometry()
    assert window.height() < PREFERRED_SIZE.height() and window.width() == window.minimumWidth()
    assert abs(window.frameGeometry().center().y() - available.center().y()) <= FRAME_ALLOWANCE.top()


def _geometry_saved_on_a_larger_monitor(rect: QRect, screen_width: int) -> QByteArray:
    """What ``saveGeometry`` writes (format 3.0) for a window at ``rect`` on a screen ``screen_width`` pixels wide."""
    data = QByteArray()
    stream = QDataStream(data, QIODevice.OpenModeFlag.WriteOnly)
    stream.setVersion(QDataStream.Version.Qt_4_0)
    stream.writeUInt32(0x1D9D0CB)  # magic
    stream.writeUInt16(3)  # major version
    stream.writeUInt16(0)  # minor version
    stream << rect << rect  # frame geometry, normal geometry
    stream.writeInt32(0)  # screen number
    stream.writeUInt8(0)  # maximized
    stream.writeUInt8(0)  # full screen
    stream.writeInt32(screen_width)
    stream << rect  # geometry
    return data


@pytest.mark.parametrize("screen_width", [1920, 800], ids=["refused by Qt", "accepted by Qt"])
def test_geometry_saved_on_a_larger_monitor_is_shrunk_to_fit(open_window, store, screen_width):
    store.save_geometry(_geometry_saved_on_a_larger_monitor(QRect(50, 50, 1800, 1000), screen_width))
    window = open_window()
    _inside_the_screen_height(window)
    assert window.width() <= max(window.screen().availableGeometry().width(), window.minimumWidth())
