"""``Segmenter``: the one inference facade the app, the benchmarks and the evaluation use.

``seg(rgb)`` takes an (H, W, 3) uint8 RGB frame of any size and returns the (H, W) float32 person probability in
[0, 1]. ``seg.low_res(rgb)`` returns the probability at the model's input size (for 16:9 frames 144x256 by default),
so the engine can upsample it with its own edge-aware filter; ``seg.at_input_size(small)`` does the same for a frame
the caller has already resized with ``resize_for_model`` (the engine needs that small frame for its own filters).
``seg.batch(frames)`` runs many frames of one size. Every model output is checked (``validation.check_logits``): NaN,
infinite values or a wrong shape raise ``ModelOutputError`` instead of becoming a mask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from segmentation.inference.preprocess import (
    check_rgb_frame,
    resize_for_model,
    sigmoid,
    to_nchw_float,
    upsample_mask,
)
from segmentation.inference.sizing import DEFAULT_PIXEL_BUDGET, SIZE_MULTIPLE, model_input_size
from segmentation.inference.validation import check_logits


@dataclass(frozen=True)
class BackendInfo:
    """What is actually running, for the UI and benchmark tables."""

    backend: str
    device: str
    precision: str
    model_name: str


class Segmenter:
    """Callable person segmenter around a backend (see the module docstring for the frame contract)."""

    def __init__(
        self,
        run_batch: Callable[[np.ndarray], np.ndarray],
        info: BackendInfo,
        *,
        pixel_budget: int = DEFAULT_PIXEL_BUDGET,
    ) -> None:
        self._run_batch = run_batch
        self.info = info
        self.pixel_budget = pixel_budget

    def input_size(self, frame_width: int, frame_height: int) -> tuple[int, int]:
        """Model input ``(width, height)`` used for a frame of this size at the current pixel budget."""
        return model_input_size(frame_width, frame_height, self.pixel_budget)

    def low_res(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (h, w) float32 in [0, 1] at the model input size."""
        return self.at_input_size(resize_for_model(check_rgb_frame(rgb), self.pixel_budget))

    def at_input_size(self, small: np.ndarray) -> np.ndarray:
        """(h, w, 3) uint8 RGB already at the model input size -> (h, w) float32 in [0, 1], the same h and w.

        ``small`` is what ``resize_for_model(frame, seg.pixel_budget)`` returned. It is not resized again: sizing a
        frame that is itself a model input can give a different size (a 640x480 frame becomes 208x160, and 208x160
        would become 224x176), and the mask must match the small frame pixel for pixel.
        """
        check_rgb_frame(small)
        height, width = small.shape[:2]
        if height % SIZE_MULTIPLE or width % SIZE_MULTIPLE:
            raise ValueError(
                f"expected a frame at the model input size (sides multiples of {SIZE_MULTIPLE}), got {width}x{height}; "
                "pass it through resize_for_model first, or call low_res"
            )
        return sigmoid(self._logits(to_nchw_float(small))[0, 0])

    def _logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 3, h, w) float32 -> the backend's (N, 1, h, w) logits, checked (``ModelOutputError`` when they are
        not finite or not of that shape: a mask made of them could show the room)."""
        return check_logits(self._run_batch(batch), batch.shape)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (H, W) float32 person probability in [0, 1]."""
        return upsample_mask(self.low_res(rgb), rgb.shape[1], rgb.shape[0])

    def batch(self, frames: Sequence[np.ndarray], batch_size: int = 8) -> list[np.ndarray]:
        """Offline use: full-resolution masks for frames that all share one size, ``batch_size`` at a time."""
        if not frames:
            return []
        height, width = check_rgb_frame(frames[0]).shape[:2]
        masks: list[np.ndarray] = []
        for start in range(0, len(frames), batch_size):
            chunk = [check_rgb_frame(frame) for frame in frames[start : start + batch_size]]
            if any(frame.shape[:2] != (height, width) for frame in chunk):
                raise ValueError(f"batch() expects frames of one size, {width}x{height} first, got a different one")
            stacked = np.concatenate([to_nchw_float(resize_for_model(frame, self.pixel_budget)) for frame in chunk])
            probabilities = sigmoid(self._logits(stacked)[:, 0])
            masks.extend(upsample_mask(probability, width, height) for probability in probabilities)
        return masks
