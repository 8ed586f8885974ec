"""Pipeline statistics: frame rate and latency over a window of recent frames."""

from __future__ import annotations

import pytest

from app.engine.stats import PipelineStats


def _output(stats: PipelineStats, *, fps: float, frames: int, start: float, latency: float) -> float:
    """Record ``frames`` outputs at ``fps`` from time ``start``, each ``latency`` s after capture; returns the end."""
    now = start
    for _ in range(frames):
        stats.record_output(captured_at=now - latency, now=now)
        now += 1.0 / fps
    return now


def test_after_restart_the_rate_and_latency_are_the_new_sources_alone() -> None:
    stats = PipelineStats()
    end = _output(stats, fps=30.0, frames=90, start=0.0, latency=0.020)
    stats.restart_rates()
    _output(stats, fps=5.0, frames=6, start=end, latency=0.050)
    snapshot = stats.snapshot()
    assert snapshot.fps == pytest.approx(5.0)
    assert snapshot.latency.p50_ms == pytest.approx(50.0)
    assert snapshot.frames == 96  # the count of frames streamed goes on
