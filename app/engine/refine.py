"""Mask refinement: motion-aware temporal smoothing and edge-following upsampling.

Inputs: the model's low-resolution person probability (h, w) float32 in [0, 1], the frame as grey (h, w) uint8 at
the mask's size (``to_grey``) for the smoothing, and the segmenter's edge coefficients at that size with the frame
as grey (H, W) uint8 at full resolution for the upsampling.
Output: the full-resolution alpha as (H, W) uint8 in [0, 255], with threshold and feather folded in.
"""

from __future__ import annotations

import cv2
import numpy as np

from segmentation.inference.edge_refiner import ClassicGuidedFilter, to_grey

__all__ = ["GuidedUpsampler", "TemporalSmoother", "edge_curve", "folded_coefficients", "guided_upsample", "to_grey"]

_MOTION_SCALE = 1.0 / 12.0  # grey-level change (0-255) at which a pixel counts as fully moving
_MAX_KEEP = 0.85  # even at smoothing 1, a still pixel takes 15% of the new mask each frame


class TemporalSmoother:
    """Exponential smoothing of the low-res mask that is strong where the image is still and off where it moves.

    Per pixel: ``keep = smoothing * 0.85 * (1 - motion)``, ``mask = keep * previous + (1 - keep) * new``, where
    ``motion`` in [0, 1] comes from the grey-level change of the low-res frame. A still edge stops flickering; a
    moving arm follows the new mask at once. State resets when the mask size changes.
    """

    def __init__(self) -> None:
        self._previous_mask: np.ndarray | None = None
        self._previous_grey: np.ndarray | None = None

    def reset(self) -> None:
        self._previous_mask = self._previous_grey = None

    def __call__(self, mask: np.ndarray, small_grey: np.ndarray, smoothing: float) -> np.ndarray:
        """``mask`` (h, w) float32 in [0, 1]; ``small_grey`` (h, w) uint8, the frame in grey at the mask's size."""
        grey = small_grey.astype(np.float32)
        previous_mask, previous_grey = self._previous_mask, self._previous_grey
        self._previous_grey = grey
        if smoothing <= 0 or previous_mask is None or previous_grey is None or previous_mask.shape != mask.shape:
            self._previous_mask = mask
            return mask
        motion = cv2.blur(np.abs(grey - previous_grey), (3, 3)) * _MOTION_SCALE
        keep = (smoothing * _MAX_KEEP) * (1.0 - np.minimum(motion, 1.0))
        smoothed = keep * previous_mask + (1.0 - keep) * mask
        self._previous_mask = smoothed
        return smoothed


def edge_curve(threshold: float, feather: float) -> tuple[float, float]:
    """Linear map ``alpha = gain * p + offset`` (clipped to [0, 1] by the caller) that centres the soft edge on
    ``threshold`` with width from ``feather``.

    ``feather`` 0 gives a nearly hard cut (a 0.04-wide ramp), 1 the model's own soft ramp (width 1). The ramp is kept
    within probabilities [0, 1]: near the slider's ends its centre stops half a ramp short of them, so ``p = 1`` is
    always fully person and ``p = 0`` fully background. (Centred on 1 itself, the surest person pixels would be half
    transparent; centred on 0, the whole room would show at half strength.)
    """
    width = 0.04 + 0.96 * feather
    centre = min(max(threshold, width / 2), 1.0 - width / 2)
    gain = 1.0 / width
    return gain, 0.5 - centre * gain


class GuidedUpsampler:
    """Full-resolution half of edge-aware upsampling: the segmenter's edge coefficients (``Segmenter.edges``:
    ``alpha = slope * grey / 255 + level`` at the model's input size; the learnt refiner or the classic guided
    filter, ``segmentation.inference.edge_refiner``) upsampled and applied to the full-resolution grey frame, with
    the edge curve folded in. Full-resolution buffers are reused between frames of one size (fresh ones cost more
    in page faults than the arithmetic).
    """

    def __init__(self) -> None:
        self._size: tuple[int, int] = (0, 0)
        self._a_full: np.ndarray = np.empty((0, 0), np.float32)
        self._b_full: np.ndarray = np.empty((0, 0), np.float32)
        self._product: np.ndarray = np.empty((0, 0), np.float32)
        self._alpha: np.ndarray = np.empty((0, 0), np.uint8)

    def __call__(
        self, slope: np.ndarray, level: np.ndarray, frame_grey: np.ndarray, *, threshold: float, feather: float
    ) -> np.ndarray:
        """``slope``, ``level``: (h, w) float32 coefficients; ``frame_grey``: (H, W) uint8 grey frame.

        Returns (H, W) uint8 alpha in [0, 255], valid until the next call (it is a reused buffer).
        """
        # Fold the edge curve, the 0-255 output scale and the guide's 1/255 into the coefficients: the
        # full-resolution work is one multiply (uint8 guide times float coefficients) and one add.
        a, b = folded_coefficients(slope, level, threshold=threshold, feather=feather)
        height, width = frame_grey.shape
        if (width, height) != self._size:
            self._size = (width, height)
            self._a_full, self._b_full, self._product = (np.empty((height, width), np.float32) for _ in range(3))
            self._alpha = np.empty((height, width), np.uint8)
        cv2.resize(a, (width, height), dst=self._a_full, interpolation=cv2.INTER_LINEAR)
        cv2.resize(b, (width, height), dst=self._b_full, interpolation=cv2.INTER_LINEAR)
        cv2.multiply(self._a_full, frame_grey, dst=self._product, dtype=cv2.CV_32F)
        cv2.add(self._product, self._b_full, dst=self._product)
        np.maximum(self._product, 0.0, out=self._product)
        return cv2.convertScaleAbs(self._product, dst=self._alpha)


def folded_coefficients(
    slope: np.ndarray, level: np.ndarray, *, threshold: float, feather: float
) -> tuple[np.ndarray, np.ndarray]:
    """(h, w) float32 ``(a, b)`` with ``a * grey_uint8 + b`` = the edge curve of ``slope * grey / 255 + level``, in
    0-255 units (the form both full-resolution paths apply)."""
    gain, offset = edge_curve(threshold, feather)
    return slope * gain, (level * gain + offset) * 255.0


def guided_upsample(
    mask: np.ndarray, small_grey: np.ndarray, frame_grey: np.ndarray, *, threshold: float, feather: float
) -> np.ndarray:
    """One-off upsampling with the classic guided filter: ``mask`` (h, w) float32 in [0, 1], ``small_grey`` (h, w)
    uint8, ``frame_grey`` (H, W) uint8 -> a fresh (H, W) uint8 alpha; per-frame callers keep a ``GuidedUpsampler``
    and use their segmenter's ``edges``."""
    slope, level = ClassicGuidedFilter()(mask, small_grey)
    return GuidedUpsampler()(slope, level, frame_grey, threshold=threshold, feather=feather).copy()
