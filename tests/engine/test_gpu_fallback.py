"""A GPU that fails mid-stream: the engine loads the model on the CPU, says so, and never shows the room meanwhile.

The "GPU" here is a fake backend behind the real ``Segmenter`` that claims to run on CUDA and raises what torch raises
when the device fails (a ``RuntimeError`` naming a CUDA error) from a given call on. The background is solid red and
the fake models mark the left half of the frame as person, so the right half of every output must be red.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from engine_fakes import FakeCamera
from faulty_models import FaultyBackend, faulty_segmenter

from app.engine.engine import Engine
from app.engine.events import EngineEvent, EventKind, EventSource
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings, SourceKind, SourceSpec
from segmentation import BackendInfo, Segmenter

SETTINGS = RenderSettings(
    background=BackgroundSpec(kind=BackgroundKind.COLOR, color=(255, 0, 0)), quality=QualityMode.SPEED
)
CUDA_ERROR = "CUDA error: an illegal memory access was encountered"


class FailingGpu:
    """``run_batch`` of a model on a GPU that works for ``good_calls`` calls, then raises ``error`` on every call."""

    def __init__(self, good_calls: int, error: BaseException) -> None:
        self.good = FaultyBackend(0.0, bad_calls=set())
        self.good_calls, self.error, self.calls = good_calls, error, 0
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.calls += 1
            if self.calls > self.good_calls:
                raise self.error
        return self.good(batch)


def _gpu_segmenter(backend: FailingGpu) -> Segmenter:
    return Segmenter(backend, BackendInfo(backend="torch", device="cuda", precision="float16", model_name="gpu"))


def _failing_gpu_engine(good_calls: int, events: list[EngineEvent], cpu_fallback) -> Engine:
    """An engine on a fake camera whose GPU segmenter fails after ``good_calls`` calls."""
    return Engine(
        _gpu_segmenter(FailingGpu(good_calls, RuntimeError(CUDA_ERROR))),
        on_event=events.append,
        source_opener=lambda spec: FakeCamera(fps=60),
        cpu_fallback=cpu_fallback,
    )


def _stream_until(engine: Engine, events: list[EngineEvent], done, seconds: float = 15.0) -> list:
    """Output frames seen until ``done(events)`` (or ``seconds``), polled every 5 ms."""
    seen = []
    engine.start(SourceSpec(kind=SourceKind.CAMERA, camera=0), SETTINGS)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done(events):
            output, _ = engine.output.peek()
            if output is not None and (not seen or seen[-1] is not output):
                seen.append(output)
            time.sleep(0.005)
        time.sleep(0.2)  # a few frames more, on the new segmenter
        output, _ = engine.output.peek()
        seen.append(output)
    finally:
        engine.stop()
    return seen


def _model_events(events: list[EngineEvent]) -> list[tuple[EventKind, str]]:
    return [(event.kind, event.message) for event in events if event.source == EventSource.MODEL]


def test_a_gpu_failing_mid_stream_hands_the_stream_to_the_cpu_and_says_so() -> None:
    events: list[EngineEvent] = []
    loads: list[float] = []

    def cpu_fallback() -> Segmenter:
        loads.append(time.monotonic())
        return faulty_segmenter(FaultyBackend(0.0, bad_calls=set()))

    engine = _failing_gpu_engine(5, events, cpu_fallback)
    seen = _stream_until(
        engine, events, lambda events: any(kind is EventKind.RECOVERED for kind, _ in _model_events(events))
    )
    model_events = _model_events(events)
    assert model_events[0] == (EventKind.WARNING, f"the GPU failed ({CUDA_ERROR}); loading the model on the CPU")
    assert model_events[1][0] is EventKind.RECOVERED and "now running on the CPU (fake)" in model_events[1][1]
    assert len(model_events) == 2 and len(loads) == 1  # one fallback, however many frames failed meanwhile
    assert engine.segmenter.info.device == "cpu"
    assert all((frame.rgb[:, 200:] == (255, 0, 0)).all() for frame in seen)  # the room never shows
    assert not seen[-1].safe_frame  # the CPU's masks are in use


def test_a_bad_mask_on_the_gpu_is_a_safe_frame_not_a_reason_to_leave_it() -> None:
    events: list[EngineEvent] = []
    backend = FaultyBackend(np.nan, bad_calls={3})
    gpu = Segmenter(backend, BackendInfo(backend="torch", device="cuda", precision="float16", model_name="gpu"))
    engine = Engine(
        gpu,
        on_event=events.append,
        source_opener=lambda spec: FakeCamera(fps=60),
        cpu_fallback=lambda: (_ for _ in ()).throw(AssertionError("must not fall back")),
    )
    _stream_until(engine, events, lambda events: any(e.kind is EventKind.RECOVERED for e in events), seconds=10)
    assert _model_events(events) == []
    assert engine.segmenter is gpu


def test_when_the_cpu_cannot_load_either_the_user_is_told_and_frames_stay_safe() -> None:
    events: list[EngineEvent] = []

    def cpu_fallback() -> Segmenter:
        raise OSError("model file vanished")

    engine = _failing_gpu_engine(2, events, cpu_fallback)
    seen = _stream_until(
        engine, events, lambda events: any(e.kind is EventKind.ERROR for e in events if e.source == EventSource.MODEL)
    )
    model_events = _model_events(events)
    assert (
        model_events[-1][0] is EventKind.ERROR
        and "cannot be loaded on the CPU either (model file vanished)" in model_events[-1][1]
    )
    assert all((frame.rgb[:, 200:] == (255, 0, 0)).all() for frame in seen)
    assert seen[-1].safe_frame
