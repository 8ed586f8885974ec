"""The status bar: a message longer than the room the figures leave is cut at its end with "…", never mid-word
under the figures, and shows whole again when there is room."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.engine.stats import StageStats, StatsSnapshot
from app.ui.status import StreamStatusBar

pytestmark = pytest.mark.gui

MESSAGE = "opened video demo-desk-960x540.mp4 (960x540 @ 30 fps) from the bundled demo folder"


def _rect(widget: QWidget, bar: StreamStatusBar) -> QRect:
    return QRect(widget.mapTo(bar, QPoint(0, 0)), widget.size())


def _message_label(bar: StreamStatusBar, message: str) -> QLabel:
    """The visible label that shows ``message``, whole or its beginning followed by an ellipsis."""
    figures = (bar.quality, bar.fps, bar.latency, bar.dropped)
    shown = [
        label
        for label in bar.findChildren(QLabel)
        if label not in figures
        and label.isVisible()
        and label.text()
        and message.startswith(label.text().removesuffix("\N{HORIZONTAL ELLIPSIS}"))
    ]
    assert len(shown) == 1, "no label shows the message"
    return shown[0]


def test_a_long_message_is_elided_at_its_end_beside_the_figures_and_whole_when_there_is_room(qtbot) -> None:
    bar = StreamStatusBar()
    qtbot.addWidget(bar)
    bar.count_dropped_from(None)
    bar.show_snapshot(
        StatsSnapshot(
            fps=29.8, dropped=12, latency=StageStats(19.0, 24.0), quality="adaptive: model input 320x176, new mask"
        )
    )
    bar.resize(760, bar.sizeHint().height())
    bar.show()
    qtbot.waitExposed(bar)
    bar.showMessage(MESSAGE, 5000)
    QApplication.processEvents()

    label = _message_label(bar, MESSAGE)
    assert label.text().endswith("\N{HORIZONTAL ELLIPSIS}") and len(label.text()) < len(MESSAGE)
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()  # not clipped
    assert not _rect(label, bar).intersects(_rect(bar.quality, bar))  # beside the figures, not under them
    assert label.toolTip() == MESSAGE
    assert bar.currentMessage() == MESSAGE

    bar.resize(1800, bar.height())  # room again: elided anew on resize
    QApplication.processEvents()
    assert _message_label(bar, MESSAGE).text() == MESSAGE

    bar.clearMessage()
    assert bar.currentMessage() == "" and label.text() == ""
