"""The status bar: frame rate, latency (p50/p95), dropped frames and the quality level the engine chose.

The engine counts dropped frames from its start; the bar shows them since the source last changed
(``count_dropped_from``), so a new camera does not inherit the old one's count.

Messages (``showMessage``) go in a label on the left that cuts a message too long for the room the figures leave with
"…" at its end, the whole message in its tooltip; QStatusBar's own message was cut mid-word under the figures.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.engine.stats import StatsSnapshot
from app.ui.elided_label import ElidedLabel


class StreamStatusBar(QStatusBar):
    """Permanent labels on the right; the left part shows transient messages (``showMessage``), elided to fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.message.setContentsMargins(4, 0, 8, 0)
        self.addWidget(self.message, 1)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clearMessage)
        self.quality = QLabel()
        self.quality.setToolTip("Model input size and mask rate in use")
        self.fps = QLabel()
        self.fps.setToolTip("Frames per second leaving the pipeline")
        self.latency = QLabel()
        self.latency.setToolTip("Capture to output, median / 95th percentile")
        self.dropped = QLabel()
        self.dropped.setToolTip("Camera frames skipped because rendering was busy, since the source was chosen")
        self._dropped_before = 0  # the engine's count when the source last changed
        for label in (self.quality, self.fps, self.latency, self.dropped):
            label.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(label)
        self.show_snapshot(None)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (QStatusBar's name)
        """Show ``text`` on the left (elided to fit), for ``timeout`` ms or, with 0, until the next message."""
        self.message.set_full_text(text)
        if timeout > 0:
            self._message_timer.start(timeout)
        else:
            self._message_timer.stop()
        self.messageChanged.emit(text)

    def clearMessage(self) -> None:  # noqa: N802 (QStatusBar's name)
        self._message_timer.stop()
        if self.message.full_text():
            self.message.set_full_text("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:  # noqa: N802 (QStatusBar's name)
        """The whole message shown now, "" when there is none."""
        return self.message.full_text()

    def count_dropped_from(self, snapshot: StatsSnapshot | None) -> None:
        """Count dropped frames from ``snapshot`` on (the engine's numbers now; None before the engine runs)."""
        self._dropped_before = 0 if snapshot is None else snapshot.dropped

    def show_snapshot(self, snapshot: StatsSnapshot | None) -> None:
        """Show the numbers of ``snapshot``; None (not streaming) shows dashes."""
        if snapshot is None:
            self.quality.setText("")
            self.fps.setText("\N{EN DASH} fps")
            self.latency.setText("latency \N{EN DASH}")
            self.dropped.setText("dropped \N{EN DASH}")
            return
        self.quality.setText(snapshot.quality)
        self.fps.setText(f"{snapshot.fps:.1f} fps")
        self.latency.setText(f"latency {snapshot.latency.p50_ms:.0f}/{snapshot.latency.p95_ms:.0f} ms")
        self.dropped.setText(f"dropped {max(snapshot.dropped - self._dropped_before, 0)}")
