"""``Segmenter``: the one inference facade the app, the benchmarks and the evaluation use.

``seg(rgb)`` takes an (H, W, 3) uint8 RGB frame of any size and returns the (H, W) float32 person alpha in [0, 1]:
the model's mask upsampled onto the frame's own edges by ``seg.edges`` (``edge_refiner.py``: the model's learnt
edge refiner where its spec names one, else the classic guided filter), as the app composites it.
``seg.infer(rgb, pixel_budget)`` is the whole frame-to-mask step at a chosen input size: it returns a ``LowResMask``
carrying the frame resized to the model's input (for 16:9 frames at the shipped model's budget 288x160) and
the probability at that size, so the engine can refine it against that very frame. Where the frame shows a small
person, ``infer`` looks twice: the second pass runs on a crop around them at the same budget, and its sharper mask
is written into the first (``zoom.py``; ``seg.zoom_in`` does that step alone, for a frame resized elsewhere).
``seg.model_input(rgb, pixel_budget)`` gives the resized frame alone (for frames that reuse an earlier mask);
``seg.low_res(rgb)`` is ``infer`` at the model's own budget; ``seg.upsample(low, rgb)`` is ``seg(rgb)``'s last
step; ``seg.batch(frames)`` runs many frames of one size.

The budget is an argument, never state: one segmenter serves a render thread and a worker thread at once. Every
model output is checked (``validation.check_logits``): NaN, infinite values or a wrong shape raise
``ModelOutputError`` instead of becoming a mask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from segmentation.inference.choices import Backend, Device, Precision
from segmentation.inference.edge_refiner import ClassicGuidedFilter, Coefficients, apply_coefficients, to_grey
from segmentation.inference.preprocess import (
    check_rgb_frame,
    resize_for_model,
    sigmoid,
    to_nchw_float,
)
from segmentation.inference.sizing import DEFAULT_PIXEL_BUDGET, model_input_size
from segmentation.inference.validation import check_logits
from segmentation.inference.zoom import paste_detail, zoom_crop


@dataclass(frozen=True)
class LowResMask:
    """What ``Segmenter.infer`` returns: ``small`` (h, w, 3) uint8 RGB, the frame at the model's input size, and
    ``mask`` (h, w) float32 in [0, 1], the person probability for it, pixel for pixel."""

    small: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True)
class BackendInfo:
    """What is actually running, for the UI and benchmark tables. ``note``: one line on why the GPU is not used
    when one is there (empty otherwise)."""

    backend: Backend
    device: Device
    precision: Precision
    model_name: str
    note: str = ""


class Segmenter:
    """Callable person segmenter around a backend (see the module docstring for the frame contract).

    ``run_batch`` takes (N, 3, h, w) float32 RGB in [0, 1] and returns (N, 1, h, w) logits; ``pixel_budget`` is the
    model's own input size in pixels, used where a call names none; ``edges`` upsamples its masks (``edge_refiner``:
    ``(mask, small_grey) -> (slope, level)``; default the classic guided filter).
    """

    def __init__(
        self,
        run_batch: Callable[[np.ndarray], np.ndarray],
        info: BackendInfo,
        *,
        pixel_budget: int = DEFAULT_PIXEL_BUDGET,
        edges: Coefficients | None = None,
    ) -> None:
        self._run_batch = run_batch
        self.info = info
        self._pixel_budget = pixel_budget
        self.edges: Coefficients = edges or ClassicGuidedFilter()

    @property
    def pixel_budget(self) -> int:
        """The model's own input size in pixels (its spec's ``pixel_budget``, or what ``load_segmenter`` was given)."""
        return self._pixel_budget

    def input_size(self, frame_width: int, frame_height: int, pixel_budget: int | None = None) -> tuple[int, int]:
        """Model input ``(width, height)`` for a frame of this size at ``pixel_budget`` (default: the model's)."""
        return model_input_size(frame_width, frame_height, pixel_budget or self._pixel_budget)

    def model_input(self, rgb: np.ndarray, pixel_budget: int | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (h, w, 3) uint8 RGB at the model input size for ``pixel_budget`` (aspect kept,
        sides multiples of 16; INTER_AREA)."""
        return resize_for_model(check_rgb_frame(rgb), pixel_budget or self._pixel_budget)

    def infer(self, rgb: np.ndarray, pixel_budget: int | None = None, *, zoom: bool = True) -> LowResMask:
        """(H, W, 3) uint8 RGB -> ``LowResMask`` at the input size for ``pixel_budget`` (default: the model's).

        With ``zoom`` (the default), a small person in the frame gets a second pass on a crop around them
        (``zoom_in``); the mask keeps the first pass's size either way.

        Raises ``ModelOutputError`` when the backend returns NaN, infinite values or another shape, and whatever the
        backend raises.
        """
        rgb = check_rgb_frame(rgb)
        budget = pixel_budget or self._pixel_budget
        low = self.infer_resized(resize_for_model(rgb, budget))
        return self.zoom_in(rgb, low, budget) if zoom else low

    def zoom_in(self, rgb: np.ndarray, low: LowResMask, pixel_budget: int | None = None) -> LowResMask:
        """``low`` (the first pass on the (H, W, 3) uint8 RGB frame ``rgb`` at ``pixel_budget``) with the mask of a
        second pass, on a crop around the small person in it, area-averaged into its cells (``zoom.py``); ``low``
        itself where the frame has no small person. Raises what ``infer`` raises."""
        height, width = check_rgb_frame(rgb).shape[:2]
        budget = pixel_budget or self._pixel_budget
        crop = zoom_crop(low.mask, width, height, budget)
        if crop is None:
            return low
        x0, y0, x1, y1 = crop.pixels
        detail = self.infer_resized(resize_for_model(rgb[y0:y1, x0:x1], budget)).mask
        return LowResMask(low.small, paste_detail(low.mask, crop, detail))

    def infer_resized(self, small: np.ndarray) -> LowResMask:
        """A frame already at a model input size (``input_size``), (h, w, 3) uint8 RGB with h and w multiples of 16
        (resized elsewhere, for example on the GPU) -> ``LowResMask``. Raises ``ValueError`` for another array, and
        what ``infer`` raises."""
        small = check_rgb_frame(small)
        if small.shape[0] % 16 or small.shape[1] % 16:
            raise ValueError(f"a model input has sides that are multiples of 16, got {small.shape[1]}x{small.shape[0]}")
        return LowResMask(small, sigmoid(self._logits(to_nchw_float(small))[0, 0]))

    def low_res(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (h, w) float32 in [0, 1] at the model's own input size."""
        return self.infer(rgb).mask

    def _logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 3, h, w) float32 -> the backend's (N, 1, h, w) logits, checked (``ModelOutputError`` when they are
        not finite or not of that shape: a mask made of them could show the room)."""
        return check_logits(self._run_batch(batch), batch.shape)

    @property
    def run_batch(self) -> Callable[[np.ndarray], np.ndarray]:
        """The bare backend, unchecked: (N, 3, h, w) float32 -> (N, 1, h, w) logits (for timing the model alone)."""
        return self._run_batch

    def __call__(self, rgb: np.ndarray, pixel_budget: int | None = None) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (H, W) float32 person alpha in [0, 1], inferred at ``pixel_budget``."""
        return self.upsample(self.infer(rgb, pixel_budget), rgb)

    def upsample(self, low: LowResMask, rgb: np.ndarray) -> np.ndarray:
        """``low`` (from ``infer`` on ``rgb``, (H, W, 3) uint8) -> (H, W) float32 alpha in [0, 1] on the frame's
        edges (``edges``)."""
        slope, level = self.edges(low.mask, to_grey(low.small))
        return apply_coefficients(slope, level, to_grey(rgb))

    def batch(self, frames: Sequence[np.ndarray], batch_size: int = 8) -> list[np.ndarray]:
        """Offline use: full-resolution masks for frames that all share one size, ``batch_size`` at a time (first
        passes batched; a frame with a small person gets its second pass on its own)."""
        if not frames:
            return []
        height, width = check_rgb_frame(frames[0]).shape[:2]
        masks: list[np.ndarray] = []
        for start in range(0, len(frames), batch_size):
            chunk = [check_rgb_frame(frame) for frame in frames[start : start + batch_size]]
            if any(frame.shape[:2] != (height, width) for frame in chunk):
                raise ValueError(f"batch() expects frames of one size, {width}x{height} first, got a different one")
            smalls = [resize_for_model(frame, self._pixel_budget) for frame in chunk]
            probabilities = sigmoid(self._logits(np.concatenate([to_nchw_float(small) for small in smalls]))[:, 0])
            for frame, small, probability in zip(chunk, smalls, probabilities, strict=True):
                masks.append(self.upsample(self.zoom_in(frame, LowResMask(small, probability)), frame))
        return masks
