"""The threaded engine on fake cameras and files: frames flow, live changes, camera loss, clean stop."""

import threading
import time

import numpy as np
from engine_fakes import FakeCamera

from app.engine.engine import Engine
from app.engine.events import EngineEvent, EventKind
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings, SourceKind, SourceSpec
from app.engine.sources import SourceError, open_source
from segmentation import Segmenter

CAMERA = SourceSpec(kind=SourceKind.CAMERA, camera=0)
RED = BackgroundSpec(kind=BackgroundKind.COLOR, color=(255, 0, 0))


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _newest(engine: Engine, after_version: int = -1, timeout: float = 10.0):
    holder = {}

    def fresh() -> bool:
        output, version = engine.output.peek()
        holder["value"] = (output, version)
        return output is not None and version > after_version

    assert _wait_for(fresh, timeout), "no output frame arrived"
    return holder["value"]


def test_frames_flow_and_settings_change_live(segmenter) -> None:
    engine = Engine(segmenter, source_opener=lambda spec: FakeCamera())
    engine.start(CAMERA, RenderSettings(background=RED))
    try:
        output, _ = _newest(engine)
        assert output.rgb.shape == (180, 320, 3) and output.rgb.dtype == np.uint8
        engine.set_settings(RenderSettings(background=BackgroundSpec(kind=BackgroundKind.NONE)))
        _wait_for(
            lambda: (lambda o: o is not None and (o.rgb[:, :, 0] == o.rgb[:, :, 2]).all())(engine.output.peek()[0])
        )
        grey, _ = engine.output.peek()
        assert (grey.rgb[:, :, 0] == grey.rgb[:, :, 1]).all()  # mask view now, without a restart
        engine.set_settings(RenderSettings(background=RED, mirror=True))
        assert _wait_for(
            lambda: (lambda o: o is not None and not (o.rgb[:, :, 0] == o.rgb[:, :, 2]).all())(engine.output.peek()[0])
        )
        snapshot = engine.snapshot()
        assert snapshot.frames > 0 and snapshot.fps > 0 and "segment" in snapshot.stages
        assert snapshot.quality.startswith("adaptive: model input")
    finally:
        started = time.monotonic()
        engine.stop()
        assert time.monotonic() - started < 2.0
    assert not engine.running


def test_mirror_flips_the_captured_image(segmenter) -> None:
    engine = Engine(segmenter, source_opener=lambda spec: FakeCamera())
    mask_view = RenderSettings(background=BackgroundSpec(kind=BackgroundKind.BLUR), smoothing=0)
    engine.start(CAMERA, mask_view)
    try:
        plain, version = _newest(engine)
        engine.set_settings(
            RenderSettings(background=BackgroundSpec(kind=BackgroundKind.BLUR), smoothing=0, mirror=True)
        )
        time.sleep(0.3)
        mirrored, _ = _newest(engine, version + 5)
        left_red = plain.rgb[:, :40, 0].mean() - plain.rgb[:, -40:, 0].mean()
        mirrored_left_red = mirrored.rgb[:, :40, 0].mean() - mirrored.rgb[:, -40:, 0].mean()
        assert left_red > 30 and mirrored_left_red < -30
    finally:
        engine.stop()


def _run_until_the_camera_is_back(segmenter, openings) -> list[str]:
    """Start on a camera whose opener returns or raises ``openings`` in turn (then healthy cameras), wait until the
    capture reports it recovered and frames flow again; returns the error messages seen."""
    attempts = iter(openings)

    def opener(spec):
        opening = next(attempts, None)
        if isinstance(opening, Exception):
            raise opening
        return opening or FakeCamera()

    events: list[EngineEvent] = []
    engine = Engine(segmenter, on_event=events.append, source_opener=opener, capture_retry_seconds=0.05)
    engine.start(CAMERA, RenderSettings())
    try:
        assert _wait_for(lambda: any(e.kind is EventKind.RECOVERED and e.source == "capture" for e in events), 15)
        _, version = engine.output.peek()
        _newest(engine, version)  # frames flow again
    finally:
        engine.stop()
    return [e.message for e in events if e.kind is EventKind.ERROR]


def test_unplugged_camera_is_reported_retried_and_recovered(segmenter) -> None:
    unplugged = FakeCamera(frames_before_unplug=5)
    errors = _run_until_the_camera_is_back(
        segmenter, [unplugged, SourceError("camera 0 could not be opened: check that it is plugged in")]
    )
    assert any("unplugged" in message for message in errors)
    assert any("retrying" in message for message in errors)


def test_an_unexpected_driver_error_is_reported_and_retried_not_fatal(segmenter) -> None:
    """OpenCV can raise its own errors (cv2.error) from a camera driver: the capture thread must survive them."""
    errors = _run_until_the_camera_is_back(segmenter, [RuntimeError("driver said no")])
    assert any("the source failed (RuntimeError: driver said no); retrying" in message for message in errors)


class SlowSegmenter(Segmenter):
    """``segmenter``'s backend made ``seconds`` slower per call; ``in_model`` is set while one is being made."""

    def __init__(self, segmenter: Segmenter, seconds: float) -> None:
        super().__init__(self._run, segmenter.info, pixel_budget=segmenter.pixel_budget)
        self._backend, self._seconds = segmenter.run_batch, seconds
        self.in_model = threading.Event()

    def _run(self, batch: np.ndarray) -> np.ndarray:
        self.in_model.set()
        time.sleep(self._seconds)
        self.in_model.clear()
        return self._backend(batch)


def test_slow_segmentation_drops_stale_frames_instead_of_queueing(segmenter) -> None:
    engine = Engine(SlowSegmenter(segmenter, 0.05), source_opener=lambda spec: FakeCamera(fps=200))
    engine.start(CAMERA, RenderSettings())
    try:
        assert _wait_for(lambda: engine.snapshot().frames >= 10, 15)
        snapshot = engine.snapshot()
        assert snapshot.dropped > snapshot.frames  # the camera outran the model; old frames were dropped
        assert snapshot.latency.p95_ms < 250  # so latency stays about one frame of work, not a growing queue
    finally:
        engine.stop()


def test_stopping_during_a_long_render_leaves_its_renderer_open(segmenter) -> None:
    """A render still running when ``stop`` gives up waiting must not have its background or model closed under it."""
    stuck = SlowSegmenter(segmenter, 1.0)
    in_model = stuck.in_model
    engine = Engine(stuck, source_opener=lambda spec: FakeCamera())
    closed_while_rendering = []
    close_renderer = engine._renderer.close
    engine._renderer.close = lambda: (closed_while_rendering.append(in_model.is_set()), close_renderer())
    engine.start(CAMERA, RenderSettings())
    assert _wait_for(in_model.is_set)
    render_thread = engine._render_thread
    engine.stop(timeout=0.2)
    render_thread.join(5.0)
    assert not render_thread.is_alive()  # it ended after its render, as asked
    assert closed_while_rendering == []


def test_source_switch_keeps_the_render_thread(segmenter, short_clip) -> None:
    def opener(spec: SourceSpec):
        return FakeCamera() if spec.kind is SourceKind.CAMERA else open_source(spec)

    engine = Engine(segmenter, source_opener=opener)
    engine.start(CAMERA, RenderSettings())
    try:
        _newest(engine)
        render_thread = engine._render_thread
        engine.set_source(SourceSpec(kind=SourceKind.VIDEO, path=short_clip))
        assert _wait_for(lambda: "short.mp4" in engine.source_description)
        assert engine._render_thread is render_thread and render_thread.is_alive()
    finally:
        engine.stop()
    assert threading.active_count() < 20
