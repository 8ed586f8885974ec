"""Where the main window opens: its saved geometry, or on a first run a size that fits the screen, centred.

A window larger than the screen puts its right column and its bottom (the Output buttons, the gallery) out of reach,
so the window is never made larger than the available area of the screen it opens on (the desktop without its panels),
and never smaller than its minimum size. Before the window is shown its frame (title bar, borders) is unknown, so
``FRAME_ALLOWANCE`` is kept free for it.

Geometry saved on another screen configuration (a larger monitor, since unplugged) is refused by Qt's
``restoreGeometry``; the window is then placed as on a first run. Geometry Qt accepts is shrunk too when, with its
frame, it is larger than the screen it is restored to (Qt's own check trusts the frame size saved with it).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMargins, QPoint, QRect, QSize
from PySide6.QtWidgets import QWidget

PREFERRED_SIZE = QSize(1360, 860)
FRAME_ALLOWANCE = QMargins(8, 32, 8, 8)  # left, top (a title bar), right, bottom: typical window-manager decorations


def _room(available: QRect) -> QSize:
    """The largest window (frame excluded) whose frame fits in ``available``."""
    return available.marginsRemoved(FRAME_ALLOWANCE).size()


def first_run_geometry(available: QRect, minimum: QSize, preferred: QSize = PREFERRED_SIZE) -> QRect:
    """The window's own rectangle (frame excluded) for a screen whose free area is ``available``: ``preferred``
    shrunk to fit with its frame, but not below ``minimum``, and centred with its frame in ``available``."""
    size = preferred.boundedTo(_room(available)).expandedTo(minimum)
    framed = QRect(QPoint(0, 0), size).marginsAdded(FRAME_ALLOWANCE)
    framed.moveCenter(available.center())
    # A screen smaller than the minimum size: keep the title bar and the top left corner on screen.
    framed.moveTopLeft(QPoint(max(framed.left(), available.left()), max(framed.top(), available.top())))
    return framed.marginsRemoved(FRAME_ALLOWANCE)


def restored_geometry(restored: QRect, available: QRect, minimum: QSize) -> QRect:
    """``restored`` as it is if it fits ``available`` with its frame; otherwise shrunk to fit and centred."""
    room = _room(available)
    if restored.width() <= room.width() and restored.height() <= room.height():
        return restored
    return first_run_geometry(available, minimum, preferred=restored.size())


def place_window(window: QWidget, saved: QByteArray | None) -> None:
    """Restore ``saved`` geometry if Qt accepts it for the current screens, shrunk if it is larger than the screen
    the window is restored to; otherwise size and centre ``window`` to fit the screen it opens on."""
    if saved is not None and window.restoreGeometry(saved):
        geometry = restored_geometry(window.geometry(), window.screen().availableGeometry(), window.minimumSize())
        if geometry == window.geometry():
            return
    else:
        geometry = first_run_geometry(window.screen().availableGeometry(), window.minimumSize())
    window.resize(geometry.size())
    window.move(geometry.topLeft() - QPoint(FRAME_ALLOWANCE.left(), FRAME_ALLOWANCE.top()))  # move() places the frame
