"""Rolling performance statistics: per-stage milliseconds (p50/p95), fps, dropped frames, latency."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

_WINDOW = 120  # samples kept per stage (about 4 s at 30 fps)


@dataclass(frozen=True)
class StageStats:
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class StatsSnapshot:
    """A consistent copy of the numbers for display; ``stages`` maps a stage name to its p50/p95 ms."""

    fps: float = 0.0
    stages: dict[str, StageStats] = field(default_factory=dict)
    dropped: int = 0
    frames: int = 0
    latency: StageStats = StageStats(0.0, 0.0)
    quality: str = ""
    only_me: str = ""  # "locked" or "searching" while "Only me" is on, else empty
    room: str = ""  # the room picture: "in use" or "not matching: why"; empty without one

    def summary(self) -> str:
        """One line such as ``29.8 fps, latency 41/55 ms (p50/p95), dropped 3``."""
        return (
            f"{self.fps:.1f} fps, latency {self.latency.p50_ms:.0f}/{self.latency.p95_ms:.0f} ms (p50/p95), "
            f"dropped {self.dropped}"
        )


class PipelineStats:
    """Thread-safe collector: the render thread records, any thread reads a ``snapshot()``."""

    def __init__(self, window: int | None = _WINDOW) -> None:
        """``window``: samples kept per stage (None keeps all, for offline summaries)."""
        self._lock = threading.Lock()
        self._window = window
        self._stages: dict[str, deque[float]] = {}
        self._latencies: deque[float] = deque(maxlen=window)
        self._output_times: deque[float] = deque(maxlen=window)
        self._frames = 0
        self.quality = ""
        self.only_me = ""
        self.room = ""

    def record_stage(self, name: str, seconds: float) -> None:
        with self._lock:
            self._stages.setdefault(name, deque(maxlen=self._window)).append(seconds * 1000.0)

    def record_output(self, captured_at: float, now: float | None = None) -> None:
        """One frame left the pipeline; ``captured_at`` is its capture time (monotonic seconds)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._frames += 1
            self._output_times.append(now)
            self._latencies.append((now - captured_at) * 1000.0)

    def restart_rates(self) -> None:
        """Forget the frame times and latencies measured so far (a new source has its own rate); the frame count and
        the stage timings stay."""
        with self._lock:
            self._output_times.clear()
            self._latencies.clear()

    def snapshot(self, dropped: int = 0) -> StatsSnapshot:
        with self._lock:
            stages = {name: percentiles(values) for name, values in self._stages.items() if values}
            times = list(self._output_times)
            fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
            latency = percentiles(self._latencies) if self._latencies else StageStats(0.0, 0.0)
            return StatsSnapshot(fps, stages, dropped, self._frames, latency, self.quality, self.only_me, self.room)

    def all_stage_samples(self) -> dict[str, list[float]]:
        with self._lock:
            return {name: list(values) for name, values in self._stages.items()}


def percentiles(values: deque[float] | list[float]) -> StageStats:
    """p50 and p95 of millisecond samples."""
    p50, p95 = np.percentile(np.fromiter(values, float), [50, 95])
    return StageStats(float(p50), float(p95))
