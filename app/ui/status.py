"""The status bar: frame rate, latency (p50/p95), dropped frames and the quality level the engine chose.

The engine counts dropped frames from its start; the bar shows them since the source last changed
(``count_dropped_from``), so a new camera does not inherit the old one's count.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.engine.stats import StatsSnapshot


class StreamStatusBar(QStatusBar):
    """Permanent labels on the right; the left part shows transient messages (``showMessage``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
