"""Quality modes: model input size and mask refresh interval, and the adaptive controller that holds a target fps."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.settings import QualityMode
from segmentation import DEFAULT_PIXEL_BUDGET, model_input_size


@dataclass(frozen=True)
class QualityLevel:
    """``pixel_budget`` = model input pixels (256 * 144 gives 256x144 for 16:9); a new mask every ``mask_interval``
    frames (the frames in between reuse the last mask, refined against their own image)."""

    pixel_budget: int
    mask_interval: int

    def describe(self, frame_width: int, frame_height: int) -> str:
        width, height = model_input_size(frame_width, frame_height, self.pixel_budget)
        every = "every frame" if self.mask_interval == 1 else f"every {self.mask_interval} frames"
        return f"model input {width}x{height}, new mask {every}"


# Ordered best first; the adaptive controller walks this ladder, from the model's own input size (its spec's
# ``pixel_budget``: 288x160 for the shipped model). Near the top each step costs at most 1.25x the model's pixels:
# a climb needs the larger input predicted to fit, and from 256x144 straight to 320x180 (1.56x) it was not on a
# 2-core CPU, where 256x144 -> 288x160 -> 320x180 gets there.
_TOP = QualityLevel(320 * 180, 1)
_FAST = QualityLevel(192 * 108, 1)
LADDER = (
    _TOP,
    QualityLevel(288 * 160, 1),
    QualityLevel(256 * 144, 1),
    _FAST,
    QualityLevel(192 * 108, 2),
    QualityLevel(160 * 90, 2),
    QualityLevel(160 * 90, 3),
)
FIXED_LEVELS = {QualityMode.QUALITY: _TOP, QualityMode.SPEED: _FAST}
LADDER_BUDGETS = tuple(dict.fromkeys(level.pixel_budget for level in LADDER))  # the model input sizes a stream uses


def start_index(model_budget: int) -> int:
    """The ladder level a stream starts at for a model whose own input is ``model_budget`` pixels: the best level
    with a new mask every frame that is no larger (the fastest such level for a smaller model input)."""
    every_frame = [index for index, level in enumerate(LADDER) if level.mask_interval == 1]
    fitting = [index for index in every_frame if LADDER[index].pixel_budget <= model_budget]
    return fitting[0] if fitting else every_frame[-1]


_SLOW_SHARE = 0.9  # a frame busier than this share of the frame budget counts as slow
_ROOM_SHARE = 0.75  # step up only when a frame at the better level is predicted to fit in this share
_SOON_FRAMES = 300  # a step down within this many frames of the step up that reached the level undoes that climb
_BACK_OFF = 4  # each undone climb to a level multiplies the evidence needed to climb to it again


class AdaptiveQuality:
    """Steps down the ladder when frames take longer than the budget, up when the better level is predicted to fit.

    ``observe(work_seconds, target_fps, mask_seconds=...)`` takes the render thread's busy time for one frame and,
    when that frame ran the model, the part of it spent segmenting (``None`` when it reused the last mask). A frame
    is slow above 90% of the frame budget. A step up needs the frame's predicted cost at the better level below 75%
    of the budget: the model's share grows with the input pixels, and a frame that reused a mask is charged a whole
    new one, as it may have to at the better level. The gap between 75% and 90% keeps a step up from being undone at
    once. A step needs frames in a row of evidence (15 down, 60 up). Where the prediction is wrong for a machine and
    a climb is undone within 300 frames, climbing to that level again needs 4 times the evidence (240 frames, then
    960, ...), so the input size does not pump up and down.
    """

    def __init__(self, *, model_budget: int = DEFAULT_PIXEL_BUDGET, down_after: int = 15, up_after: int = 60) -> None:
        """``model_budget``: the segmenter's own input size in pixels (``Segmenter.pixel_budget``), where the
        stream starts (``start_index``)."""
        self.index = start_index(model_budget)
        self._down_after, self._up_after = down_after, up_after
        self._slow_frames = self._fast_frames = 0
        self._mask_seconds: float | None = None  # the model's time for the last new mask at the current level
        self._frames_since_climb: int | None = None  # frames at the current level, if a step up reached it
        self._undone_climbs = [0] * len(LADDER)  # per level: climbs to it that were undone soon after

    def level(self, mode: QualityMode) -> QualityLevel:
        return FIXED_LEVELS.get(mode, LADDER[self.index])

    def predicted_seconds_above(self, work_seconds: float, mask_seconds: float | None) -> float | None:
        """This frame's cost one level up the ladder (``None`` at the top, or before any mask was timed)."""
        if self.index == 0:
            return None
        new_mask_seconds = mask_seconds if mask_seconds is not None else self._mask_seconds
        if new_mask_seconds is None:
            return None
        growth = LADDER[self.index - 1].pixel_budget / LADDER[self.index].pixel_budget
        return work_seconds - (mask_seconds or 0.0) + new_mask_seconds * growth  # this frame's model time, replaced

    def observe(self, work_seconds: float, target_fps: float, *, mask_seconds: float | None) -> None:
        budget = 1.0 / target_fps
        if mask_seconds is not None:
            self._mask_seconds = mask_seconds
        predicted = self.predicted_seconds_above(work_seconds, mask_seconds)
        if work_seconds > _SLOW_SHARE * budget:
            self._slow_frames, self._fast_frames = self._slow_frames + 1, 0
        elif predicted is not None and predicted < _ROOM_SHARE * budget:
            self._fast_frames, self._slow_frames = self._fast_frames + 1, 0
        else:
            self._slow_frames = self._fast_frames = 0
        if self._frames_since_climb is not None:
            self._frames_since_climb += 1
        if self._slow_frames >= self._down_after and self.index < len(LADDER) - 1:
            if self._frames_since_climb is not None and self._frames_since_climb <= _SOON_FRAMES:
                self._undone_climbs[self.index] += 1
            self._step(+1)
            self._frames_since_climb = None
        elif self.index > 0 and self._fast_frames >= self.frames_needed_to_climb():
            self._step(-1)
            self._frames_since_climb = 0

    def frames_needed_to_climb(self) -> int:
        """Frames in a row of evidence needed for a step up from the current level."""
        return self._up_after * _BACK_OFF ** self._undone_climbs[max(0, self.index - 1)]

    def _step(self, direction: int) -> None:
        self.index += direction
        self._slow_frames = self._fast_frames = 0
        self._mask_seconds = None  # timed at the old level
