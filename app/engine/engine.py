"""``Engine``: the real-time pipeline. A capture thread feeds a render thread through latest-value slots.

    capture thread --[frame slot]--> render thread (segment, refine, composite) --[output slot]--> preview / sinks

Frames are never queued: a slow stage drops stale frames (counted in the stats). Settings, source and segmenter can
be swapped while running; each change takes effect at the next frame. Errors arrive through ``on_event``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.engine.capture import CaptureThread
from app.engine.events import EngineEvent, EventCallback, EventKind, EventSource, ignore_event
from app.engine.quality import LADDER_BUDGETS
from app.engine.renderer import FrameRenderer
from app.engine.room_capture import RoomCapture
from app.engine.room_fusion import RoomState
from app.engine.settings import QualityMode, RenderSettings, SourceSpec
from app.engine.slot import LatestSlot
from app.engine.sources import Frame, FrameSource, open_source
from app.engine.stats import PipelineStats, StatsSnapshot
from segmentation import Device, Segmenter, first_line, gpu_failure, load_segmenter

_TAKE_TIMEOUT = 0.1


def load_cpu_segmenter() -> Segmenter:
    """The default model on the CPU (ONNX Runtime where it is installed): where a failed GPU's stream goes on."""
    return load_segmenter(device=Device.CPU, warm_up_budgets=LADDER_BUDGETS)


@dataclass(frozen=True)
class OutputFrame:
    """What leaves the pipeline: ``rgb`` (H, W, 3) uint8 RGB; ``captured_at``/``rendered_at`` monotonic seconds."""

    rgb: np.ndarray
    index: int
    captured_at: float
    rendered_at: float
    safe_frame: bool


class Engine:
    """Start with ``start(source, settings)``; read ``output`` (a ``LatestSlot[OutputFrame]``); ``stop()`` joins."""

    def __init__(
        self,
        segmenter: Segmenter,
        *,
        on_event: EventCallback = ignore_event,
        stall_timeout: float = 0.5,
        source_opener: Callable[[SourceSpec], FrameSource] = open_source,
        capture_retry_seconds: float = 2.0,
        cpu_fallback: Callable[[], Segmenter] = load_cpu_segmenter,
    ) -> None:
        """``source_opener`` turns a ``SourceSpec`` into an open ``FrameSource`` (tests pass fake cameras);
        ``capture_retry_seconds`` is the pause between attempts to reopen a lost source; ``cpu_fallback`` loads the
        segmenter on the CPU when the GPU fails mid-stream (``_fall_back_to_cpu``)."""
        self._renderer = FrameRenderer(segmenter, stall_timeout=stall_timeout)
        self._source_opener = source_opener
        self._capture_retry_seconds = capture_retry_seconds
        self._on_event = on_event
        self._settings = RenderSettings()
        self._settings_lock = threading.Lock()
        self._frames: LatestSlot[Frame] = LatestSlot()
        self.output: LatestSlot[OutputFrame] = LatestSlot()
        self.stats = PipelineStats()
        self._capture: CaptureThread | None = None
        self._render_thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        self._pending_segmenter: Segmenter | None = None
        self._pending_capture: RoomCapture | None = None
        self._last_error: str | None = None
        self._last_quality = ""
        self._cpu_fallback = cpu_fallback
        self._falling_back = threading.Event()
        self._swap_message: str | None = None  # said once the render thread uses the CPU fallback

    # --- control -------------------------------------------------------------------------------------------
    @property
    def settings(self) -> RenderSettings:
        with self._settings_lock:
            return self._settings

    def set_settings(self, settings: RenderSettings) -> None:
        """Swap the settings object whole; the render thread uses it from the next frame."""
        with self._settings_lock:
            self._settings = settings

    def set_segmenter(self, segmenter: Segmenter) -> None:
        """Swap the model backend (for example CPU <-> CUDA); takes effect at the next frame. A segmenter chosen by
        the user may go back to the GPU after a fallback: the fallback may happen again."""
        with self._settings_lock:
            self._pending_segmenter = segmenter
        self._falling_back.clear()

    def learn_room(self, capture: RoomCapture) -> None:
        """Offer the frames from the next one on, with their masks, to ``capture`` until it has what it needs (its
        ``on_done`` then says what it learned); replaces an attempt still collecting."""
        with self._settings_lock:
            self._pending_capture = capture

    @property
    def segmenter(self) -> Segmenter:
        return self._renderer.segmenter

    @property
    def source_description(self) -> str:
        return self._capture.source_info if self._capture else ""

    @property
    def running(self) -> bool:
        return self._render_thread is not None and self._render_thread.is_alive()

    def start(self, source: SourceSpec, settings: RenderSettings, *, opened: FrameSource | None = None) -> None:
        """Start capture and render threads. ``opened``: the source already opened by the caller (so that opening
        errors reach the caller as ``SourceError``); otherwise it is opened, and retried, by the capture thread."""
        if self.running:
            raise RuntimeError("engine already running; call stop() first or use set_source()")
        self.set_settings(settings)
        self._stop_requested.clear()
        self._frames.reopen()
        self.output.reopen()
        self._start_capture(source, opened)
        self._render_thread = threading.Thread(target=self._render_loop, name="greenroom-render", daemon=True)
        self._render_thread.start()

    def set_source(self, source: SourceSpec) -> None:
        """Switch to another camera or file without stopping the render thread or the sinks; the frame rate and latency
        shown from then on are the new source's."""
        self._stop_capture()
        self.stats.restart_rates()
        self._start_capture(source)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop both threads cooperatively and wait for them (at most ``timeout`` seconds in total)."""
        deadline = time.monotonic() + timeout
        self._stop_requested.set()
        self._stop_capture(max(0.0, deadline - time.monotonic()))
        self._frames.close()
        still_rendering = False
        if self._render_thread is not None:
            self._render_thread.join(max(0.0, deadline - time.monotonic()))
            still_rendering = self._render_thread.is_alive()
            self._render_thread = None
        self.output.close()
        if not still_rendering:  # a render stuck past the timeout keeps its renderer: closing it underneath could crash
            self._renderer.close()

    def snapshot(self) -> StatsSnapshot:
        return self.stats.snapshot(dropped=self._frames.dropped)

    @property
    def source_ended(self) -> bool:
        return self._capture is not None and self._capture.ended.is_set()

    # --- threads -----------------------------------------------------------------------------------------
    def _start_capture(self, source: SourceSpec, opened: FrameSource | None = None) -> None:
        self._capture = CaptureThread(
            source,
            self._frames,
            self._on_event,
            mirror=lambda: self.settings.mirror,
            first_source=opened,
            opener=self._source_opener,
            retry_seconds=self._capture_retry_seconds,
        )
        self._capture.start()

    def _stop_capture(self, timeout: float = 2.0) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture.join(timeout)

    def _render_loop(self) -> None:
        while not self._stop_requested.is_set():
            frame = self._frames.take(timeout=_TAKE_TIMEOUT)
            if frame is None:
                continue
            with self._settings_lock:
                settings, segmenter, self._pending_segmenter = self._settings, self._pending_segmenter, None
                capture, self._pending_capture = self._pending_capture, None
                swap_message, self._swap_message = self._swap_message, None
            if segmenter is not None:
                self._renderer.set_segmenter(segmenter)
            if capture is not None:
                self._renderer.room_capture = capture
            if swap_message is not None:
                self._on_event(EngineEvent(EventKind.RECOVERED, EventSource.MODEL, swap_message))
            rendered = self._renderer.render(frame.rgb, settings)
            if rendered.safe_frame and gpu_failure(self._renderer.segmenter, self._renderer.last_failure):
                self._fall_back_to_cpu(self._renderer.last_failure)
            now = time.monotonic()
            self.output.put(OutputFrame(rendered.rgb, frame.index, frame.captured_at, now, rendered.safe_frame))
            for stage, seconds in rendered.timings.items():
                self.stats.record_stage(stage, seconds)
            self.stats.record_output(frame.captured_at, now)
            self._report(rendered.error, rendered.safe_frame, settings, frame.rgb.shape)

    def _report_room(self) -> None:
        """Say when the room picture stops matching (the model alone is used then) and when it matches again."""
        status = self._renderer.room_status
        text = status.describe() if status is not None else ""
        if text == self.stats.room:
            return
        previous, self.stats.room = self.stats.room, text
        if status is None:
            return
        if status.state is RoomState.NOT_MATCHING:
            message = f"the room picture does not match: {status.reason}; using the model alone (learn the room again)"
            self._on_event(EngineEvent(EventKind.WARNING, EventSource.ROOM, message))
        elif previous:
            self._on_event(EngineEvent(EventKind.RECOVERED, EventSource.ROOM, "the room picture matches again"))
        else:
            self._on_event(EngineEvent(EventKind.INFO, EventSource.ROOM, "room picture in use"))

    def _fall_back_to_cpu(self, cause: BaseException | None) -> None:
        """The GPU failed mid-stream (another program took its memory, the driver reset after a suspend): load the
        model on the CPU on a thread of its own and swap it in. Safe frames cover the frames until then; the user is
        told both steps. Done once per engine: a CPU segmenter is not swapped back by itself."""
        if self._falling_back.is_set():
            return
        self._falling_back.set()
        reason = first_line(cause) if cause is not None else "it stopped working"
        self._on_event(
            EngineEvent(
                EventKind.WARNING, EventSource.MODEL, f"the GPU failed ({reason}); loading the model on the CPU"
            )
        )

        def load() -> None:
            try:
                segmenter = self._cpu_fallback()
            except Exception as error:  # the CPU cannot load it either: safe frames go on, and the user knows why
                self._on_event(
                    EngineEvent(
                        EventKind.ERROR,
                        EventSource.MODEL,
                        f"the GPU failed and the model cannot be loaded on the CPU either ({first_line(error)}); "
                        "restart Greenroom",
                    )
                )
                return
            with self._settings_lock:  # the render thread swaps it in at its next frame, then says so
                self._pending_segmenter = segmenter
                self._swap_message = f"now running on the CPU ({segmenter.info.backend}) after the GPU failed: {reason}"

        threading.Thread(target=load, name="greenroom-cpu-fallback", daemon=True).start()

    def _report(self, error: str | None, safe_frame: bool, settings: RenderSettings, shape: tuple[int, ...]) -> None:
        """Send an event when the fail-safe state or the chosen quality changes (not once per frame)."""
        if not safe_frame and error is not None:  # a one-off problem such as an unreadable background file
            self._on_event(EngineEvent(EventKind.WARNING, EventSource.RENDER, error))
        failsafe_error = error if safe_frame else None
        if failsafe_error != self._last_error:
            if failsafe_error is not None:
                self._on_event(EngineEvent(EventKind.ERROR, EventSource.RENDER, failsafe_error))
            else:
                self._on_event(EngineEvent(EventKind.RECOVERED, EventSource.RENDER, "segmentation is working again"))
            self._last_error = failsafe_error
        only_me = self._renderer.only_me_state or ""
        if only_me != self.stats.only_me:
            self.stats.only_me = only_me
            if only_me:
                self._on_event(EngineEvent(EventKind.INFO, EventSource.RENDER, f"only me: {only_me}"))
        self._report_room()
        level = self._renderer.level
        if level is not None:
            mode = settings.quality.value
            quality = f"{mode}: {level.describe(shape[1], shape[0])}"
            if quality != self._last_quality:
                self._last_quality = quality
                self.stats.quality = quality
                if settings.quality is QualityMode.ADAPTIVE:
                    self._on_event(EngineEvent(EventKind.INFO, EventSource.RENDER, f"quality {quality}"))
