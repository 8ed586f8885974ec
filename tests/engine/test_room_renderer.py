"""The room picture in the render step and the engine: it is read once per setting, a file that cannot be used leaves
the model's mask alone and says why, and the engine reports the room's state once per change."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
from engine_fakes import FakeCamera
from test_renderer import ScriptedSegmenter

from app.engine.engine import Engine
from app.engine.events import EngineEvent, EventKind, EventSource
from app.engine.renderer import FrameRenderer
from app.engine.room_capture import RoomCapture, RoomLearned
from app.engine.room_fusion import RoomState
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings, SourceKind, SourceSpec

MASK_VIEW = BackgroundSpec(kind=BackgroundKind.NONE)


def _frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (180, 320, 3), dtype=np.uint8)


def test_a_room_picture_that_cannot_be_read_leaves_the_models_mask(tmp_path: Path) -> None:
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False)
    plain = renderer.render(_frame(), RenderSettings(background=MASK_VIEW, quality=QualityMode.SPEED))
    settings = RenderSettings(background=MASK_VIEW, quality=QualityMode.SPEED, room_plate=tmp_path / "gone.png")
    with_missing = renderer.render(_frame(), settings)
    assert not with_missing.safe_frame and np.array_equal(with_missing.rgb, plain.rgb)
    status = renderer.room_status
    assert status is not None and status.state is RoomState.NOT_MATCHING and "not found" in status.reason
    renderer.render(_frame(), RenderSettings(background=MASK_VIEW, quality=QualityMode.SPEED))
    assert renderer.room_status is None  # the setting was cleared: no room, nothing to say


def test_the_room_is_offered_the_frames_while_it_is_learned() -> None:
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False, clock=lambda: 0.0)
    offered: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    class Recording(RoomCapture):
        def offer(self, rgb: np.ndarray, prob: np.ndarray, now: float) -> bool:
            offered.append((rgb.shape, prob.shape))
            return len(offered) == 3

    renderer.room_capture = Recording()
    for _ in range(5):
        renderer.render(_frame(), RenderSettings(quality=QualityMode.SPEED))
    assert len(offered) == 3 and offered[0][0] == (180, 320, 3) and len(offered[0][1]) == 2
    assert renderer.room_capture is None  # let go once it had what it needed


def test_the_engine_says_once_when_the_room_stops_matching(tmp_path: Path) -> None:
    """A room picture of another shape never matches: one warning, from the room's own source."""
    plate = tmp_path / "room.png"
    cv2.imwrite(str(plate), np.zeros((300, 300, 3), np.uint8))
    events: list[EngineEvent] = []
    engine = Engine(ScriptedSegmenter(), on_event=events.append)
    settings = RenderSettings(quality=QualityMode.SPEED, room_plate=plate)
    engine.start(SourceSpec(kind=SourceKind.TEST_PATTERN), settings)
    try:
        deadline = threading.Event()
        for _ in range(50):
            if engine.snapshot().frames >= 10:
                break
            deadline.wait(0.1)
    finally:
        engine.stop()
    room_events = [event for event in events if event.source == EventSource.ROOM]
    assert len(room_events) == 1 and room_events[0].kind is EventKind.WARNING
    assert "the room picture does not match" in room_events[0].message and "another shape" in room_events[0].message
    assert engine.snapshot().room.startswith("not matching: the room picture is 300x300")


def test_the_engine_hands_a_capture_to_the_render_thread() -> None:
    learned: list[RoomLearned] = []
    done = threading.Event()

    def on_done(result: RoomLearned) -> None:
        learned.append(result)
        done.set()

    engine = Engine(ScriptedSegmenter(), source_opener=lambda spec: FakeCamera())
    engine.start(SourceSpec(kind=SourceKind.CAMERA, camera=0), RenderSettings(quality=QualityMode.SPEED))
    try:
        engine.learn_room(RoomCapture(seconds=0.3, samples=3, on_done=on_done))
        assert done.wait(10)
    finally:
        engine.stop()
    plate = learned[0].plate
    assert plate is not None, learned[0].error
    expected = FakeCamera().read().rgb  # a still picture: the room is exactly it
    assert np.array_equal(plate, expected)


def test_a_room_learned_without_the_mirror_still_matches_with_it(tmp_path: Path) -> None:
    """Mirror flips the frames before they are rendered: the room picture (kept as the camera sees the room) is
    flipped with them, and a room learned while mirrored is kept unflipped."""
    camera_view = _frame()
    plate = tmp_path / "room.png"
    cv2.imwrite(str(plate), cv2.cvtColor(camera_view, cv2.COLOR_RGB2BGR))
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False, clock=lambda: 0.0)
    mirrored = RenderSettings(quality=QualityMode.SPEED, room_plate=plate, mirror=True)
    renderer.render(cv2.flip(camera_view, 1), mirrored)
    assert renderer.room_status is not None and renderer.room_status.state is RoomState.IN_USE
    assert renderer._room.last_mismatch is not None and renderer._room.last_mismatch < 0.01
    offered: list[np.ndarray] = []

    class Recording(RoomCapture):
        def offer(self, rgb: np.ndarray, prob: np.ndarray, now: float) -> bool:
            offered.append(rgb)
            return True

    renderer.room_capture = Recording()
    renderer.render(cv2.flip(camera_view, 1), mirrored)
    assert np.array_equal(offered[0], camera_view)


def test_with_a_room_picture_the_cpu_finishes_the_frame(tmp_path: Path) -> None:
    """The full-resolution work may run on a torch device; the room's step needs the alpha in memory, so with a room
    picture the frame is finished on the CPU, room included."""
    import pytest

    pytest.importorskip("torch")
    camera_view = _frame()
    plate = tmp_path / "room.png"
    cv2.imwrite(str(plate), cv2.cvtColor(camera_view, cv2.COLOR_RGB2BGR))
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False, frame_ops_device="cpu")
    assert renderer.frame_ops is not None and renderer.frame_ops.active
    plain = renderer.render(camera_view, RenderSettings(quality=QualityMode.SPEED))
    assert "room" not in plain.timings
    with_room = renderer.render(camera_view, RenderSettings(quality=QualityMode.SPEED, room_plate=plate))
    assert "room" in with_room.timings and renderer.room_applied == (True, "")
