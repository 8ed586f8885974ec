"""Quality modes: model input size and mask refresh interval, and the adaptive controller that holds a target fps."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.settings import QualityMode


@dataclass(frozen=True)
class QualityLevel:
    """``pixel_budget`` = model input pixels (256 * 144 gives 256x144 for 16:9); a new mask every ``mask_interval``
    frames (the frames in between reuse the last mask, refined against their own image)."""

    pixel_budget: int
    mask_interval: int

    def describe(self, frame_width: int, frame_height: int) -> str:
        from segmentation.inference.sizing import model_input_size

        width, height = model_input_size(frame_width, frame_height, self.pixel_budget)
        every = "every frame" if self.mask_interval == 1 else f"every {self.mask_interval} frames"
        return f"model input {width}x{height}, new mask {every}"


# Ordered best first; the adaptive controller walks this ladder.
LADDER = (
    QualityLevel(320 * 180, 1),
    QualityLevel(256 * 144, 1),
    QualityLevel(192 * 108, 1),
    QualityLevel(192 * 108, 2),
    QualityLevel(160 * 90, 2),
    QualityLevel(160 * 90, 3),
)
FIXED_LEVELS = {QualityMode.QUALITY: LADDER[0], QualityMode.SPEED: LADDER[2]}
_START_INDEX = 1


class AdaptiveQuality:
    """Steps down the ladder when frames take longer than the budget, up when there is ample headroom.

    ``observe(work_seconds)`` takes the render thread's busy time for one frame. A step needs ``patience`` frames
    in a row of evidence (15 frames down, 60 up), so the choice does not oscillate.
    """

    def __init__(self, *, down_after: int = 15, up_after: int = 60) -> None:
        self.index = _START_INDEX
        self._down_after, self._up_after = down_after, up_after
        self._slow_frames = self._fast_frames = 0

    def level(self, mode: QualityMode) -> QualityLevel:
        return FIXED_LEVELS.get(mode, LADDER[self.index])

    def observe(self, work_seconds: float, target_fps: float) -> None:
        budget = 1.0 / target_fps
        if work_seconds > 0.9 * budget:
            self._slow_frames, self._fast_frames = self._slow_frames + 1, 0
        elif work_seconds < 0.5 * budget:
            self._fast_frames, self._slow_frames = self._fast_frames + 1, 0
        else:
            self._slow_frames = self._fast_frames = 0
        if self._slow_frames >= self._down_after and self.index < len(LADDER) - 1:
            self.index += 1
            self._slow_frames = 0
        elif self._fast_frames >= self._up_after and self.index > 0:
            self.index -= 1
            self._fast_frames = 0
