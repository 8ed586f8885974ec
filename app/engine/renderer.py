"""Per-frame work of the render thread: segment -> refine -> composite, with the fail-safe.

``FrameRenderer.render(frame_rgb, settings)`` returns a ``Rendered`` result whose ``rgb`` is an (H, W, 3) uint8 RGB
image that never shows the unmasked room: if segmentation fails or stalls, it is the last good output (frozen) or,
when there is none of the right size, a heavily blurred frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.engine.backgrounds import Background, BackgroundError, heavy_blur, make_background
from app.engine.composite import Compositor, mask_preview
from app.engine.device_finish import AUTO, frame_ops_for
from app.engine.guard import SegmentationError, SegmentationGuard, describe_failure
from app.engine.only_me import LockState, MainPersonFilter
from app.engine.quality import AdaptiveQuality, QualityLevel
from app.engine.refine import GuidedUpsampler, TemporalSmoother, to_grey
from app.engine.room_capture import RoomCapture
from app.engine.room_fusion import RoomFusion, RoomStatus
from app.engine.room_plate import RoomPlateError, read_plate
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings
from segmentation import LowResMask, ModelOutputError, Segmenter, check_mask, check_rgb_frame

_SAFE_BLUR_FACTOR = 32


@dataclass(frozen=True)
class Rendered:
    """One output frame: ``rgb`` (H, W, 3) uint8; ``safe_frame`` is True when the fail-safe produced it;
    ``timings`` maps stage name to seconds; ``error`` is a user-facing message when something went wrong."""

    rgb: np.ndarray
    safe_frame: bool
    timings: dict[str, float]
    error: str | None = None


@dataclass(frozen=True)
class Masked:
    """A frame and its smoothed low-res mask, between ``FrameRenderer.segment`` and ``FrameRenderer.finish``.

    ``rgb`` (H, W, 3) uint8; ``small_grey`` (h, w) uint8, the frame in grey at the model input size; ``mask``
    (h, w) float32 in [0, 1]; ``new_mask`` is False when the frame reused the previous frame's mask;
    ``device_frame`` is ``rgb`` already uploaded to the GPU where the frame was resized there (else None).
    """

    rgb: np.ndarray
    small_grey: np.ndarray
    mask: np.ndarray
    timings: dict[str, float]
    started: float
    new_mask: bool = True
    device_frame: Any = None


class FrameRenderer:
    """Holds the per-stream state (smoother, background, last good frame, adaptive quality)."""

    def __init__(
        self,
        segmenter: Segmenter,
        *,
        stall_timeout: float = 0.5,
        use_guard: bool = True,
        clock: Callable[[], float] = time.monotonic,
        frame_ops_device: str = AUTO,
    ) -> None:
        """``clock``: seconds for time-based decisions ("Only me" waiting for the main person to come back); a video
        being processed passes its own time. ``frame_ops_device``: where upsampling and compositing run
        (``device_finish.frame_ops_for``): "auto" on the GPU when the model runs there in torch, "opencv" always on
        the CPU with OpenCV, or a torch device ("cpu" runs the torch path on the CPU, for tests)."""
        self.segmenter = segmenter
        self._frame_ops_device = frame_ops_device
        self.frame_ops = frame_ops_for(frame_ops_device, segmenter.info)
        self.quality = AdaptiveQuality(model_budget=segmenter.pixel_budget)
        self._guard = SegmentationGuard(stall_timeout) if use_guard else None
        self._smoother = TemporalSmoother()
        self._only_me = MainPersonFilter(clock)
        self.only_me_state: LockState | None = None  # None while "Only me" is off
        self._clock = clock
        self._room = RoomFusion(clock)
        self._room_path: tuple[Path | None, bool] = (None, False)  # the room picture in use, and whether mirrored
        self.room_capture: RoomCapture | None = None  # while the room is being learned: offered every frame
        self._upsample = GuidedUpsampler()
        self._composite = Compositor()
        self._background_spec: BackgroundSpec | None = None
        self._background: Background | None = None
        self._last_good: np.ndarray | None = None
        self._last_mask: np.ndarray | None = None
        self._last_shape: tuple[int, ...] = ()
        self._frames_since_mask = 0
        self.level: QualityLevel | None = None
        # What the model raised at the last failed segmentation (None for a stall or a bad mask): the engine tells a
        # GPU failure from the rest by it.
        self.last_failure: BaseException | None = None

    def set_segmenter(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        self.frame_ops = frame_ops_for(self._frame_ops_device, segmenter.info)
        self._last_mask = None

    def _background_for(self, spec: BackgroundSpec) -> tuple[Background | None, str | None]:
        """The renderer for ``spec``, rebuilt only when the spec changes; falls back to blur on a bad file."""
        if spec == self._background_spec:
            return self._background, None
        error = None
        if self._background is not None:
            self._background.close()
        try:
            self._background = make_background(spec)
        except BackgroundError as problem:
            error = f"{problem}; using blur instead"
            self._background = make_background(BackgroundSpec(kind=BackgroundKind.BLUR))
        self._background_spec = spec
        return self._background, error

    def model_input_budget(self, settings: RenderSettings) -> int | None:
        """The pixel budget that ``segment`` resizes frames to at the current quality level, or None where frames
        are resized on the GPU. A pipeline may resize the next frame (``segmenter.model_input``) on another thread
        and pass it to ``segment``; if the level changes meanwhile, ``segment`` resizes again. Safe to call from a
        thread other than the one that calls ``segment``."""
        if self.frame_ops is not None and self.frame_ops.active:
            return None
        return self.quality.level(settings.quality).pixel_budget

    def _resized_ahead(self, resized: object, rgb: np.ndarray, pixel_budget: int) -> np.ndarray | None:
        """``resized`` where it is the (h, w, 3) uint8 model input for ``rgb`` at ``pixel_budget`` and the frame is
        resized on the CPU; else None, and the frame is resized here (a level changed since, the frame ops resize on
        the GPU, or what was passed is not such a frame)."""
        if resized is None or (self.frame_ops is not None and self.frame_ops.active):
            return None
        width, height = self.segmenter.input_size(rgb.shape[1], rgb.shape[0], pixel_budget)
        if not isinstance(resized, np.ndarray) or resized.dtype != np.uint8 or resized.shape != (height, width, 3):
            return None
        return resized

    def _segment(self, rgb: np.ndarray, pixel_budget: int, resized: np.ndarray | None) -> tuple[LowResMask, Any]:
        """The model's mask for ``rgb`` at ``pixel_budget``, checked, and the frame's upload when it was resized on
        the GPU (else None); ``SegmentationError`` when the model raised, stalled or returned something that is not
        such a mask (NaN composites as person: the room)."""
        if self._guard is None:
            try:
                result, device_frame = self._infer(rgb, pixel_budget, resized)
            except Exception as error:  # the fail-safe must catch every backend failure
                raise SegmentationError(describe_failure(error)) from error
        else:
            result, device_frame = self._guard.run(lambda: self._infer(rgb, pixel_budget, resized))
        try:
            check_mask(result.mask, result.small.shape[:2])
        except ModelOutputError as error:
            raise SegmentationError(describe_failure(error)) from error
        return result, device_frame

    def _infer(self, rgb: np.ndarray, pixel_budget: int, resized: np.ndarray | None) -> tuple[LowResMask, Any]:
        """``segmenter.infer``; on ``resized`` where the caller resized the frame already, or with the frame ops on the
        GPU on the frame resized there (``_device_input``). A small person gets the second pass on a crop around them
        either way (``segmenter.zoom_in``)."""
        device_frame = None
        if resized is None:
            on_device = self._device_input(rgb, pixel_budget)
            if on_device is None:
                return self.segmenter.infer(rgb, pixel_budget), None
            resized, device_frame = on_device
        return self.segmenter.zoom_in(rgb, self.segmenter.infer_resized(resized), pixel_budget), device_frame

    def _model_input(self, rgb: np.ndarray, pixel_budget: int, resized: np.ndarray | None) -> tuple[np.ndarray, Any]:
        """``resized`` where the caller resized the frame already, else ``segmenter.model_input``, or with the frame
        ops on the GPU the frame resized there."""
        if resized is not None:
            return resized, None
        on_device = self._device_input(rgb, pixel_budget)
        return on_device if on_device is not None else (self.segmenter.model_input(rgb, pixel_budget), None)

    def _device_input(self, rgb: np.ndarray, pixel_budget: int) -> tuple[np.ndarray, Any] | None:
        """``(small, frame on the device)`` from the frame ops' device resize, or None where they are off or failed
        (the segmenter then resizes on the CPU)."""
        if self.frame_ops is None or not self.frame_ops.active:
            return None
        rgb = check_rgb_frame(rgb)
        width, height = self.segmenter.input_size(rgb.shape[1], rgb.shape[0], pixel_budget)
        return self.frame_ops.model_input(rgb, width, height)

    def render(self, rgb: np.ndarray, settings: RenderSettings) -> Rendered:
        """Segment, refine and composite one (H, W, 3) uint8 RGB frame.

        An unexpected error anywhere in the step (a bug, not a backend failure, which ``segment`` already turns into
        a safe frame) also gives a safe frame with the error as its message: the stream goes on, the room stays
        hidden, and the engine reports the message instead of its render thread dying.
        """
        started = time.perf_counter()
        try:
            stage = self.segment(rgb, settings)
            return stage if isinstance(stage, Rendered) else self.finish(stage, settings)
        except Exception as error:  # the fail-safe must hold whatever went wrong
            self._last_mask = None
            message = f"rendering failed ({type(error).__name__}: {error}); please report this with the camera's size"
            return self._safe_frame(rgb, message, {}, started)

    def segment(
        self, rgb: np.ndarray, settings: RenderSettings, resized: np.ndarray | None = None
    ) -> Masked | Rendered:
        """First half of ``render``: the smoothed low-res mask, or a safe frame if segmentation failed.

        ``resized``: ``rgb`` already resized for the model (``segmenter.model_input``) at the budget that
        ``model_input_budget`` gave, by a pipeline stage ahead of this one; it is used where it is still the size for
        this frame's quality level, and ignored otherwise.

        ``segment`` and ``finish`` keep separate state, so a pipeline may run them on two threads (one each).
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        level = self.quality.level(settings.quality)
        if level != self.level:
            self.level, self._last_mask = level, None
        last_mask = self._last_mask
        if rgb.shape != self._last_shape or self._frames_since_mask + 1 >= level.mask_interval:
            last_mask = None  # a new mask is due
        resized = self._resized_ahead(resized, rgb, level.pixel_budget)
        try:
            if last_mask is not None:
                (small, device_frame), mask = self._model_input(rgb, level.pixel_budget, resized), last_mask
                self._frames_since_mask += 1
            else:
                result, device_frame = self._segment(rgb, level.pixel_budget, resized)
                small, mask = result.small, result.mask
                self._frames_since_mask = 0
        except SegmentationError as failure:
            self._smoother.reset()  # the next good mask starts afresh, not blended with one from before the failure
            self._last_mask = None
            self.last_failure = failure.__cause__
            return self._safe_frame(rgb, str(failure), timings, started)
        self._last_shape = rgb.shape
        new_mask = last_mask is None
        timings["segment"] = time.perf_counter() - started
        step = time.perf_counter()
        small_grey = to_grey(small)
        raw = mask
        mask = self._smoother(mask, small_grey, settings.smoothing)
        mask = self._keep_only_me(raw, mask, settings.only_me, new_mask)
        self._last_mask = mask
        timings["refine"] = time.perf_counter() - step
        return Masked(rgb, small_grey, mask, timings, started, new_mask, device_frame)

    def _keep_only_me(self, raw: np.ndarray, smoothed: np.ndarray, only_me: bool, new_mask: bool) -> np.ndarray:
        """With "Only me" on, the smoothed mask with everyone but the main person removed (``only_me.py``); turning
        it on starts a new search. Frames that reuse a mask reuse its filtered form as it is."""
        if not only_me:
            self.only_me_state = None
            return smoothed
        if self.only_me_state is None:
            self._only_me.reset()
        if new_mask or self.only_me_state is None:
            result = self._only_me.filter(raw, smoothed)
            self.only_me_state = result.state
            return result.mask
        return smoothed

    def finish(self, masked: Masked, settings: RenderSettings) -> Rendered:
        """Second half of ``render``: edge-aware upsampling and compositing of the frame the mask came from."""
        rgb, timings = masked.rgb, masked.timings
        output = None
        step = time.perf_counter()
        edges = self.segmenter.edges(masked.mask, masked.small_grey)
        timings["refine"] += time.perf_counter() - step
        # The room's step works on the alpha in memory: with a room picture (or while learning one) the CPU finishes.
        room = settings.room_plate is not None or self._room_path[0] is not None or self.room_capture is not None
        if self.frame_ops is not None and self.frame_ops.active and not room:  # on the device, timed as "composite"
            step = time.perf_counter()
            background, error = self._background_for(settings.background)
            output = self.frame_ops.finish(masked, edges, settings, background)  # None: it failed, the CPU finishes
            timings["composite"] = time.perf_counter() - step
        if output is None:
            step = time.perf_counter()
            alpha = self._upsample(*edges, to_grey(rgb), threshold=settings.threshold, feather=settings.feather)
            timings["refine"] += time.perf_counter() - step
            if room:
                step = time.perf_counter()
                alpha = self._apply_room(masked, alpha, settings.room_plate, settings.mirror)
                timings["room"] = time.perf_counter() - step

            step = time.perf_counter()
            background, error = self._background_for(settings.background)
            output = (
                mask_preview(alpha)
                if background is None
                else self._composite(rgb, background.render(rgb, alpha), alpha)
            )
            timings["composite"] = time.perf_counter() - step
        timings["total"] = sum(timings.values())
        if settings.quality is QualityMode.ADAPTIVE:  # a fixed mode's timings say nothing about the ladder's levels
            mask_seconds = timings["segment"] if masked.new_mask else None
            self.quality.observe(timings["total"], settings.target_fps, mask_seconds=mask_seconds)
        self._last_good = output
        return Rendered(output, False, timings, error)

    @property
    def room_status(self) -> RoomStatus | None:
        """Whether the room picture is in use (``room_fusion.py``); None without one."""
        return self._room.status

    @property
    def room_applied(self) -> tuple[bool, str]:
        """Whether the room picture shaped the last frame's mask, and if not, why ("" without one)."""
        return self._room.applied, self._room.skip_reason

    def _apply_room(self, masked: Masked, alpha: np.ndarray, plate: Path | None, mirror: bool) -> np.ndarray:
        """While the room is learned, offer the frame to ``room_capture``; with a room picture, fuse it into ``alpha``
        ((H, W) uint8, changed in place). A picture that cannot be read leaves the model's mask alone and says why in
        ``room_status``; the file is read again only when the setting names another. Room pictures are kept as the
        camera sees the room: frames the capture thread mirrored are compared with the picture mirrored, and are
        offered to the capture mirrored back."""
        capture = self.room_capture
        if capture is not None:
            rgb, prob = (cv2.flip(masked.rgb, 1), cv2.flip(masked.mask, 1)) if mirror else (masked.rgb, masked.mask)
            if capture.offer(rgb, prob, self._clock()):
                self.room_capture = None
        if (plate, mirror) != self._room_path:
            self._room_path = (plate, mirror)
            try:
                picture = None if plate is None else read_plate(plate)
                self._room.use_plate(cv2.flip(picture, 1) if picture is not None and mirror else picture)
            except RoomPlateError as error:
                self._room.not_usable(str(error))
        return self._room.fuse(masked.rgb, masked.mask, alpha)

    def _safe_frame(self, rgb: np.ndarray, message: str, timings: dict[str, float], started: float) -> Rendered:
        if self._last_good is not None and self._last_good.shape == rgb.shape:
            output = self._last_good
        else:
            output = heavy_blur(rgb, factor=_SAFE_BLUR_FACTOR, sigma=4.0)
        timings["total"] = time.perf_counter() - started
        return Rendered(output, True, timings, message)

    def close(self) -> None:
        if self._guard is not None:
            self._guard.close()
        if self._background is not None:
            self._background.close()
