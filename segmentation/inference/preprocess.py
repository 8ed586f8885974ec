"""Frame <-> model tensor conversions shared by every backend, training validation and export checks."""

from __future__ import annotations

import cv2
import numpy as np

from segmentation.inference.sizing import DEFAULT_PIXEL_BUDGET, area_resize_sizes, model_input_size


def check_rgb_frame(rgb: object) -> np.ndarray:
    """Return ``rgb`` if it is an (H, W, 3) uint8 array, else raise a ``TypeError``/``ValueError`` saying so."""
    if not isinstance(rgb, np.ndarray):
        raise TypeError(f"expected an (H, W, 3) uint8 RGB numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got dtype {rgb.dtype}")
    return rgb


def resize_for_model(rgb: np.ndarray, pixel_budget: int = DEFAULT_PIXEL_BUDGET) -> np.ndarray:
    """Resize an (H, W, 3) uint8 RGB frame to the model input size (aspect kept, multiples of 16), still uint8.

    INTER_AREA averages whole source pixels, so downscaling does not alias fine hair into noise. Where the factor
    is not a whole number, the frame first shrinks by whole factors (``area_resize_sizes``: OpenCV's fast path),
    then to the model's size: the same averaging within a third of a grey level on average, at 40-60% of the cost.
    """
    width, height = model_input_size(rgb.shape[1], rgb.shape[0], pixel_budget)
    if (rgb.shape[1], rgb.shape[0]) == (width, height):
        return rgb
    for size in area_resize_sizes(rgb.shape[1], rgb.shape[0], width, height):
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return rgb


def to_nchw_float(resized: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """(h, w, 3) uint8 RGB -> (1, 3, h, w) in [0, 1] of ``dtype``, C-contiguous."""
    return np.ascontiguousarray(resized.transpose(2, 0, 1)[None], dtype=dtype) * dtype(1.0 / 255.0)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Numerically safe logistic function, float32 out (one new array, worked in place: it runs on every mask)."""
    out = np.array(logits, dtype=np.float32)
    out *= 0.5
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def upsample_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of an (h, w) float32 mask to (height, width), clipped to [0, 1]."""
    if mask.shape == (height, width):
        return mask
    return np.clip(cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
