"""Offline processing of a video file: every frame, at the input's size and fps, to an mp4.

Four stages overlap on both cores: a decoder thread (which also resizes each frame for the model), segmentation
(this thread), refinement and compositing (a compositor thread) and an encoder thread, joined by queues of at most
``_QUEUE_DEPTH`` frames (back-pressure, so memory never grows). Nothing is dropped here. With this much parallel
work, one inference thread (``PROCESS_INFERENCE_THREADS``) is faster than two: 75 vs 73 fps at 720p on a 2-core
machine. The segmentation thread bounds the throughput, so it only runs the model: at 288x160 input, resizing on
the decoder thread took ``greenroom process`` from 61.1 to 65.5 fps (one run each, ``int8-late`` graph). For the
same reason OpenCV's own worker threads are off while it runs (``PROCESS_OPENCV_THREADS``).
The output is written to a hidden file beside it and moved into place only when complete, so a failure or an
interruption (even a second Ctrl+C during the clean-up) leaves no partial file and never destroys an earlier file of
the same name; the hidden files of runs that were killed are removed by the next run (``app.engine.staging``). The
input's sound, if it has any, is added before the move (``app.engine.audio``); if that fails the video is kept
without it and the summary says why.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from app.engine.audio import SoundCopyError, copy_sound, has_sound
from app.engine.frame_pace import largest_pace_drift
from app.engine.guard import SAFE_FRAME_NOTE
from app.engine.mp4_writer import VideoFileWriter, even_sides_note
from app.engine.output_paths import SinkError, check_output_path
from app.engine.renderer import FrameRenderer, Masked, Rendered
from app.engine.settings import RenderSettings
from app.engine.sources import VideoFileSource
from app.engine.staging import remove_stale_staging, run_uninterrupted, staging_path
from app.engine.stats import PipelineStats, StageStats, percentiles
from segmentation import Segmenter

_QUEUE_DEPTH = 4
PROCESS_INFERENCE_THREADS = 1
_END = object()
_STOP_TIMEOUT_SECONDS = 10.0  # far above one frame's work; a stage still busy after this is stuck
_ANNOUNCED_SLACK = 2  # frames a container's announced count may be off by
_PACE_DRIFT_WARNING = 0.1  # seconds a frame may be moved from its input time before process warns


@dataclass(frozen=True)
class ProcessSummary:
    frames: int
    seconds: float
    width: int
    height: int
    fps_in: float
    stages: dict[str, StageStats]
    safe_frames: int
    sound: str = "no sound in the input"
    announced_frames: int = 0  # how many frames the input's header announces (0 when it does not say)
    pace_drift: float = 0.0  # seconds: how far the input's frames are from the output's constant pace
    first_failure: str = ""  # why the first safe frame was needed ("" when none was)
    room_frames: int | None = None  # frames the room picture was in use for (None without one)
    room_reason: str = ""  # why it did not match, the first time it did not

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def short_input_note(self) -> str:
        """A warning when the input ended well before the frame count its header announces (a file cut short,
        for example an interrupted download or copy); "" otherwise. Headers may be off by a frame or two."""
        if self.announced_frames <= 0 or self.frames + _ANNOUNCED_SLACK >= self.announced_frames:
            return ""
        return (
            f"the input ended after {self.frames} of the {self.announced_frames} frames its header announces, so it "
            f"may be cut short; the output has the {self.frames} that could be read"
        )

    def failure_note(self) -> str:
        """A warning when some frames were replaced by safe frames (the last good frame, or a heavy blur before the
        first), with why the first was; "" otherwise."""
        if not self.safe_frames:
            return ""
        reason = self.first_failure.removesuffix(SAFE_FRAME_NOTE) or "segmentation failed"
        return (
            f"{self.safe_frames} of the {self.frames} frames show the last good frame or a heavy blur instead: {reason}"
        )

    def variable_rate_note(self) -> str:
        """A warning when the input has a variable frame rate, which the output's constant rate moves frames away
        from their sound by more than ``_PACE_DRIFT_WARNING``; "" otherwise."""
        if self.pace_drift <= _PACE_DRIFT_WARNING:
            return ""
        return (
            f"the input has a variable frame rate: the output plays it at a constant {self.fps_in:.4g} fps, which "
            f"moves some frames up to {self.pace_drift:.2f} s from their time in the input (and from its sound)"
        )

    def room_note(self) -> str:
        """A warning when a room picture was given but did not match every frame (the model alone was used for the
        others), with why; "" otherwise."""
        if self.room_frames is None or self.room_frames >= self.frames:
            return ""
        why = f": {self.room_reason}" if self.room_reason else ""
        return (
            f"the room picture matched {self.room_frames} of the {self.frames} frames; the others used the model "
            f"alone{why}"
        )

    def text(self) -> str:
        stages = ", ".join(f"{name} {value.p50_ms:.1f}/{value.p95_ms:.1f}" for name, value in self.stages.items())
        hidden = (
            f"{self.safe_frames} frames hidden behind a blur because segmentation failed; " if self.safe_frames else ""
        )
        cropped = even_sides_note(self.width, self.height)
        return (
            f"{self.frames} frames ({self.width}x{self.height} @ {self.fps_in:.4g} fps) in {self.seconds:.1f} s: "
            f"{self.fps:.1f} fps end to end; per-stage ms p50/p95: {stages}; {hidden}{self.sound}{cropped}"
        )


class _VideoClock:
    """Seconds of video segmented so far: the clock of time-based decisions (when "Only me" gives up waiting for the
    main person), so that they follow the video and not how fast this machine processes it."""

    def __init__(self, fps: float) -> None:
        self._frame_seconds = 1.0 / fps if fps > 0 else 1.0 / 30.0
        self.now = 0.0

    def advance(self) -> None:
        self.now += self._frame_seconds

    def __call__(self) -> float:
        return self.now


class StageStuckError(RuntimeError):
    """A stage of ``process_video`` (decoder, model, compositor or encoder) made no progress for
    ``STALL_SECONDS``: it is stuck in native code. Nothing is written; the message names the stage."""


STALL_SECONDS = 10.0  # far above one frame's work in any stage, even at 4K


class _Progress:
    """When any stage last finished a frame; ``stalled()`` once none has for ``STALL_SECONDS``."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def mark(self) -> None:
        self._last = time.monotonic()

    def stalled(self) -> bool:
        return time.monotonic() - self._last > STALL_SECONDS


class _Stage(threading.Thread):
    """A daemon thread that records the first exception it meets instead of dying silently, and then sets
    ``cancel`` so that the other stages stop instead of waiting for it. ``finished`` is set when it ends: waiting on
    it, unlike ``join``, is safe to interrupt (an interrupted ``join`` marks a running thread as stopped)."""

    def __init__(self, target: Callable[[], None], name: str, cancel: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self._work = target
        self._cancel = cancel
        self.error: BaseException | None = None
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            self._work()
        except BaseException as error:  # re-raised in the caller's thread by process_video
            self.error = error
            self._cancel.set()
        finally:
            self.finished.set()


# OpenCV's calls (resizes, blurs, colour conversions, blends) on the one thread that makes them: the four stages keep
# both cores busy, and OpenCV's own workers only add contention. At 720p with the default model, 74.0 fps against
# 71.7 with OpenCV's default of a thread per core (median of 4 alternating runs; one thread was faster in all 4).
PROCESS_OPENCV_THREADS = 1


@contextlib.contextmanager
def opencv_threads(count: int) -> Iterator[None]:
    """OpenCV's worker threads set to ``count`` for the block (or the decorated call), then back to what they were.
    The setting is process-wide: the engine's live stream never runs beside ``process_video``."""
    previous = cv2.getNumThreads()
    cv2.setNumThreads(count)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


@opencv_threads(PROCESS_OPENCV_THREADS)
def process_video(
    input_path: Path,
    output_path: Path,
    settings: RenderSettings,
    segmenter: Segmenter,
    *,
    max_frames: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ProcessSummary:
    """Composite every frame of ``input_path`` into ``output_path``; raises ``SourceError``/``SinkError`` early."""
    check_output_path(output_path)  # its errors name the user's file, not the hidden one written first
    remove_stale_staging(output_path)
    source = VideoFileSource(input_path, loop=False)
    staging = staging_path(output_path)
    try:
        writer = VideoFileWriter(
            staging, width=source.width, height=source.height, fps=source.fps, shown_as=output_path
        )
    except BaseException:
        source.close()
        raise
    video_clock = _VideoClock(source.fps)
    renderer = FrameRenderer(segmenter, use_guard=False, clock=video_clock)
    stats = PipelineStats(window=None)
    decoded: queue.Queue = queue.Queue(_QUEUE_DEPTH)
    masked: queue.Queue = queue.Queue(_QUEUE_DEPTH)
    rendered: queue.Queue = queue.Queue(_QUEUE_DEPTH)
    cancel = threading.Event()
    progress = _Progress()
    total = source.frame_count if max_frames is None else min(max_frames, source.frame_count)

    def put(target: queue.Queue, item: object) -> bool:
        while not cancel.is_set():
            try:
                target.put(item, timeout=0.1)
                return True
            except queue.Full:
                if progress.stalled():
                    cancel.set()
        return False

    def decode() -> None:
        count = 0
        while max_frames is None or count < max_frames:
            started = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            stats.record_stage("decode", time.perf_counter() - started)
            progress.mark()
            # The model's input is made here: the segmentation thread, which bounds the throughput, only runs it.
            started = time.perf_counter()
            budget = renderer.model_input_budget(settings)
            resized = None if budget is None else segmenter.model_input(frame.rgb, budget)
            stats.record_stage("resize", time.perf_counter() - started)
            if not put(decoded, (frame.rgb, resized)):
                return
            count += 1
        put(decoded, _END)

    def take(source_queue: queue.Queue) -> np.ndarray | Rendered | object:
        """Next item of ``source_queue``, or ``_END`` once the run is cancelled."""
        while not cancel.is_set():
            try:
                return source_queue.get(timeout=0.1)
            except queue.Empty:
                if progress.stalled():
                    cancel.set()
        return _END

    def encode() -> None:
        while True:
            item = take(rendered)
            if item is _END:
                return
            started = time.perf_counter()
            writer.write(cast(np.ndarray, item))
            stats.record_stage("encode", time.perf_counter() - started)
            progress.mark()

    safe_frames = 0
    first_failure = ""
    room_frames: int | None = None
    room_reason = ""

    def finish() -> None:
        nonlocal safe_frames, first_failure, room_frames, room_reason
        while True:
            item = take(masked)
            if item is _END:
                put(rendered, _END)
                return
            result = item if isinstance(item, Rendered) else renderer.finish(cast(Masked, item), settings)
            for stage, seconds in result.timings.items():
                stats.record_stage(stage, seconds)
            safe_frames += int(result.safe_frame)
            if renderer.room_status is not None:
                applied, why = renderer.room_applied
                room_frames = (room_frames or 0) + int(applied and not result.safe_frame)
                room_reason = room_reason or why
            if result.safe_frame and not first_failure:
                first_failure = result.error or ""
            progress.mark()
            if not put(rendered, result.rgb):
                return

    stages = [
        _Stage(decode, "greenroom-decode", cancel),
        _Stage(finish, "greenroom-composite", cancel),
        _Stage(encode, "greenroom-encode", cancel),
    ]
    _, finisher, encoder = stages
    started = time.perf_counter()
    frames = 0
    completed = False
    try:
        for stage in stages:
            stage.start()
        while True:
            item = take(decoded)  # _END at the end of the input, or once a stage failed (it cancels the run)
            if item is _END:
                break
            rgb, resized = cast(tuple[np.ndarray, np.ndarray | None], item)
            if not put(masked, renderer.segment(rgb, settings, resized)):
                break
            video_clock.advance()
            frames += 1
            progress.mark()
            if on_progress is not None:
                on_progress(frames, total)
        put(masked, _END)
        for stage in (finisher, encoder):  # they drain what is queued, as long as frames keep moving
            while not stage.finished.wait(0.1) and not cancel.is_set():
                if progress.stalled():
                    cancel.set()
        if progress.stalled():
            raise StageStuckError(_stuck_message(stages))
        for stage in stages:
            if stage.error is not None:
                raise stage.error
        completed = True
    finally:

        def release() -> None:
            cancel.set()
            if _all_stopped(stages, timeout=_STOP_TIMEOUT_SECONDS):
                source.close()
                renderer.close()
                writer.close(discard=not completed)
            else:  # a stage is stuck in a native call: releasing what it uses under it could crash the process
                staging.unlink(missing_ok=True)

        run_uninterrupted(release)  # a second Ctrl+C must not leave the hidden file behind
    sound = "no sound in the input"
    try:
        if has_sound(input_path):
            try:
                sound = copy_sound(input_path, staging, frames / source.fps)
            except SoundCopyError as error:
                sound = f"{error}; the video was written without sound"
        try:
            os.replace(staging, output_path)
        except OSError as error:  # named as the user's file, not the hidden one
            raise SinkError(f"cannot write {output_path} ({error.strerror or error}); nothing was written") from None
    finally:
        run_uninterrupted(lambda: staging.unlink(missing_ok=True))
    return ProcessSummary(
        frames,
        time.perf_counter() - started,
        source.width,
        source.height,
        source.fps,
        _stage_table(stats),
        safe_frames,
        sound,
        source.frame_count if max_frames is None else 0,
        largest_pace_drift(input_path, source.fps) if max_frames is None else 0.0,
        first_failure,
        room_frames,
        room_reason,
    )


def _all_stopped(stages: list[_Stage], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds in all for the started stage threads to end; True if they all did."""
    deadline = time.monotonic() + timeout
    for stage in stages:
        if stage.ident is not None:
            stage.finished.wait(timeout=max(0.0, deadline - time.monotonic()))
    return all(stage.finished.is_set() or stage.ident is None for stage in stages)


def _stuck_message(stages: list[_Stage]) -> str:
    """Which stage is stuck, once the others had a moment to see the cancel."""
    time.sleep(0.3)
    stuck = [stage.name.removeprefix("greenroom-") for stage in stages if not stage.finished.is_set()]
    which = f"the {' and '.join(stuck)} stage" if stuck else "the model"
    return (
        f"processing stopped: no frame moved for {STALL_SECONDS:g} s ({which} is stuck), so nothing was written; "
        "try again, or another input or model"
    )


def _stage_table(stats: PipelineStats) -> dict[str, StageStats]:
    samples = stats.all_stage_samples()
    order = ["decode", "resize", "segment", "refine", "composite", "encode", "total"]
    return {name: percentiles(samples[name]) for name in order if name in samples}
