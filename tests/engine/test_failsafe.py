"""A model that returns NaN or infinite values never shows the room: not on that frame, and not on later ones.

The backends here are fakes behind the real ``Segmenter``: logits of +8 (person) on the left half of the frame and -8
(room) on the right, or NaN / +inf when told to. The background is solid red, so every pixel of the right half of a
good frame is red, and the room (a random pattern) must never be seen there.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from engine_fakes import FakeCamera
from faulty_models import FaultyBackend, faulty_segmenter

from app.engine.engine import Engine
from app.engine.events import EngineEvent, EventKind
from app.engine.guard import SegmentationGuard
from app.engine.renderer import FrameRenderer
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings, SourceKind, SourceSpec

RED = BackgroundSpec(kind=BackgroundKind.COLOR, color=(255, 0, 0))
SETTINGS = RenderSettings(background=RED, smoothing=0.7, quality=QualityMode.SPEED)


def _room(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (180, 320, 3), dtype=np.uint8)


def _shows_the_room(output: np.ndarray, frame: np.ndarray) -> bool:
    """True if the room side (right half) is within 12 grey levels of the camera's picture on average."""
    return float(np.abs(output[:, 200:].astype(int) - frame[:, 200:].astype(int)).mean()) < 12


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("use_guard", [True, False], ids=["live", "process"])
def test_a_model_that_always_returns_bad_values_gives_safe_frames(bad: float, use_guard: bool) -> None:
    renderer = FrameRenderer(faulty_segmenter(FaultyBackend(bad)), use_guard=use_guard)
    for seed in range(5):
        frame = _room(seed)
        result = renderer.render(frame, SETTINGS)
        assert result.safe_frame and "NaN or infinite values" in (result.error or "")
        assert not _shows_the_room(result.rgb, frame)
    renderer.close()


@pytest.mark.parametrize("smoothing", [0.0, 0.7, 1.0])
def test_one_bad_frame_is_hidden_and_the_next_ones_are_clean(smoothing: float) -> None:
    """A NaN on one frame (a white flash) used to stay in the temporal smoother and show the room from then on."""
    renderer = FrameRenderer(faulty_segmenter(FaultyBackend(np.nan, bad_calls={3})), use_guard=False)
    settings = RenderSettings(background=RED, smoothing=smoothing, quality=QualityMode.SPEED)
    results = [renderer.render(_room(seed), settings) for seed in range(8)]
    assert [result.safe_frame for result in results] == [False, False, True, False, False, False, False, False]
    for seed, result in enumerate(results):
        assert not _shows_the_room(result.rgb, _room(seed))
        if not result.safe_frame:
            assert (result.rgb[:, 200:] == (255, 0, 0)).all()  # the background, whole
    np.testing.assert_array_equal(results[2].rgb, results[1].rgb)  # the bad frame shows the last good one
    renderer.close()


def test_a_stall_is_one_message_however_long_it_lasts() -> None:
    """A stalled model used to alternate "took longer than" and "still stalled": two banners a second."""
    guard = SegmentationGuard(timeout=0.05)
    release = threading.Event()
    messages = set()
    for _ in range(4):
        try:
            guard.run(lambda: release.wait(1.0))
        except RuntimeError as error:
            messages.add(str(error))
    release.set()
    guard.close()
    assert len(messages) == 1 and "stalled" in messages.pop()


def test_the_engine_reports_the_bad_frame_and_its_recovery() -> None:
    """Live: an ERROR event for the bad frame, RECOVERED at the next good one; no frame in the output slot shows the
    room (the fake camera's left half is red-brown, its right half grey 90)."""
    events: list[EngineEvent] = []
    backend = FaultyBackend(np.nan, bad_calls={5, 6})
    engine = Engine(faulty_segmenter(backend), on_event=events.append, source_opener=lambda spec: FakeCamera(fps=60))
    seen: list[np.ndarray] = []
    engine.start(SourceSpec(kind=SourceKind.CAMERA, camera=0), SETTINGS)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(e.kind is EventKind.RECOVERED for e in events):
            output, _ = engine.output.peek()
            if output is not None:
                seen.append(output.rgb)
            time.sleep(0.005)
    finally:
        engine.stop()
    render_events = [(e.kind, e.message) for e in events if e.source == "render" and e.kind is not EventKind.INFO]
    assert render_events[0][0] is EventKind.ERROR and "NaN or infinite values" in render_events[0][1]
    assert render_events[1][0] is EventKind.RECOVERED
    assert seen and all((rgb[:, 200:] == (255, 0, 0)).all() for rgb in seen)  # the room side is always the red
