"""Edge refinement: the model's low-resolution person probability to a full-resolution alpha on the frame's edges.

A guided filter (He et al. 2013, in its fast form, He & Sun 2015) fits ``alpha = a * grey + b`` in small windows of
the frame at the model's input size and applies the fitted coefficients, upsampled, to the full-resolution grey
frame: the outline lands on the frame's own edges instead of the model's coarse grid. The classic filter's fit
keeps the mask's soft ramp, which shows as a glow beside people. The learnt refiner (after the deep guided filter
of Wu et al. 2018, which matting models such as RVM end with) corrects the fitted slope and level per pixel with a
small per-pixel network on window statistics of the mask and the grey frame at three radii, trained on hand masks
and matting alphas at full resolution (``segmentation.training.edge_refiner``).

Shapes and ranges: ``mask`` (h, w) float32 in [0, 1]; ``small_grey`` (h, w) uint8, the frame in grey at the
model's input size (``to_grey``); ``frame_grey`` (H, W) uint8. Coefficients ``(slope, level)`` are (h, w) float32 with
``alpha = slope * grey / 255 + level`` (unclipped); ``upsample`` returns (H, W) float32 in [0, 1].

Windows are box means with OpenCV's default border (reflect-101), as the training code's torch version computes
them; ``tests/runtime/test_edge_refiner.py`` holds the two to the same numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from threadpoolctl import threadpool_limits

GUIDE_RADIUS = 2  # the window of the fitted slope and level, and of their final smoothing (5x5 at the model's size)
GUIDE_EPS = 1e-3  # the fit's regulariser: edges fainter than about sqrt(eps) grey (8 of 255) are not followed
FEATURE_RADII = (1, 2, 4)
FEATURE_COUNT = 1 + 4 * len(FEATURE_RADII)
_WIDEST_MEAN = 1 + 4 * (len(FEATURE_RADII) - 1)  # the feature index of the mean mask over the widest window
SURE_MARGIN = 0.002  # a widest-window mean mask this close to 0 or 1 counts as sure: the network is not run there
MAX_HIDDEN = 256  # a wider refiner is no refiner of ours, and would cost the frame time
MAX_REFINER_BYTES = 1 << 20  # the widest refiner allowed is 0.3 MB: a larger file is read no further
_FLOOR = 1e-6  # under the square roots of variances that rounding can leave a hair below zero


class Coefficients(Protocol):
    """What upsamples a mask: ``(mask, small_grey) -> (slope, level)`` at the mask's size (module docstring)."""

    def __call__(self, mask: np.ndarray, small_grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def window_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2 * radius + 1)^2 window around each pixel, reflect-101 border; float32 in, float32 out."""
    size = 2 * radius + 1
    return cv2.blur(image, (size, size))


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) uint8 luma (OpenCV's RGB2GRAY), the guide at either size."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _unit(small_grey: np.ndarray) -> np.ndarray:
    """(h, w) uint8 grey -> float32 in [0, 1]."""
    return small_grey.astype(np.float32) * (1.0 / 255.0)


def _fit(
    guide: np.ndarray, mask: np.ndarray, guide_mask: np.ndarray, guide_guide: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window statistics of one guide channel and the mask: (slope of the fit, mean mask, mean guide, guide
    variance), each (h, w) float32. ``guide_mask`` and ``guide_guide`` are the per-pixel products ``guide * mask``
    and ``guide * guide``, made once by a caller that fits at several radii."""
    mean_guide, mean_mask = window_mean(guide, radius), window_mean(mask, radius)
    covariance = window_mean(guide_mask, radius) - mean_guide * mean_mask
    variance = np.maximum(window_mean(guide_guide, radius) - mean_guide * mean_guide, 0.0)
    return covariance / (variance + GUIDE_EPS), mean_mask, mean_guide, variance


def _smoothed_level(slope: np.ndarray, mean_mask: np.ndarray, mean_guide: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fit's ``(slope, level)`` averaged over the windows that cover each pixel (the guided filter's last step)."""
    level = mean_mask - slope * mean_guide
    return window_mean(slope, GUIDE_RADIUS), window_mean(level, GUIDE_RADIUS)


class ClassicGuidedFilter:
    """The guided filter with radius ``GUIDE_RADIUS`` and ``GUIDE_EPS`` on the grey frame (no learnt part)."""

    def __call__(self, mask: np.ndarray, small_grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grey = _unit(small_grey)
        slope, mean_mask, mean_guide, _ = _fit(grey, mask, grey * mask, grey * grey, GUIDE_RADIUS)
        return _smoothed_level(slope, mean_mask, mean_guide)


def refiner_features(mask: np.ndarray, small_grey: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The refiner's per-pixel inputs, (``FEATURE_COUNT``, h, w) float32, and the classic fit it corrects (slope,
    mean mask, mean grey at ``GUIDE_RADIUS``, each (h, w) float32).

    Features, in order: the mask; per radius of ``FEATURE_RADII``, the mean mask, the mask's and the grey's standard
    deviations and the grey's fitted slope.
    """
    grey = _unit(small_grey)
    features = np.empty((FEATURE_COUNT, *mask.shape), np.float32)
    features[0] = mask
    # The products are the same at every radius: made once, then window-averaged at each.
    grey_mask, grey_grey, mask_mask = grey * mask, grey * grey, mask * mask
    base: tuple[np.ndarray, ...] = ()
    for index, radius in enumerate(FEATURE_RADII):
        first = 1 + 4 * index
        slope, mean_mask, mean_grey, grey_variance = _fit(grey, mask, grey_mask, grey_grey, radius)
        mask_variance = np.maximum(window_mean(mask_mask, radius) - mean_mask * mean_mask, 0.0)
        features[first], features[first + 3] = mean_mask, slope
        np.sqrt(mask_variance + _FLOOR, out=features[first + 1])
        np.sqrt(grey_variance + _FLOOR, out=features[first + 2])
        if radius == GUIDE_RADIUS:
            base = (features[first + 3], features[first], mean_grey)
    return features, base


def keep_blas_to_one_thread() -> None:
    """Limit NumPy's BLAS to one thread for the rest of the process (called when a learnt refiner is made).

    The refiner's matrix products are small (a few million multiply-adds) and run no faster on BLAS's own threads,
    but those threads keep spinning on both cores after each call, and the model's next run shares the cores with
    them: on the 2-core test machine ``seg(rgb)`` took 17.5 ms with them and 12.6 ms without. Limiting the threads
    only around the products does not help (restoring them wakes them again), so the limit stays. Nothing in the app
    needs BLAS threads: the pipeline's own threads keep the cores busy. Only the first call sets it: a segmenter
    loaded later (the GPU's CPU fallback, on a thread of its own) must not reconfigure BLAS while the render thread
    is inside a product.
    """
    global _blas_limited
    with _blas_lock:
        if not _blas_limited:
            threadpool_limits(limits=1, user_api="blas")
            _blas_limited = True


_blas_lock = threading.Lock()
_blas_limited = False


REFINER_TENSORS = {  # name -> shape; H is the hidden width
    "feature_mean": ("F",),
    "feature_std": ("F",),
    "layer0.weight": ("H", "F"),
    "layer0.bias": ("H",),
    "layer1.weight": ("H", "H"),
    "layer1.bias": ("H",),
    "layer2.weight": (2, "H"),
    "layer2.bias": (2,),
}


class LearntEdgeRefiner:
    """The guided filter with its slope and level corrected per pixel by a small network (module docstring).

    ``weights`` maps the names of ``REFINER_TENSORS`` to float32 arrays of those shapes (F = ``FEATURE_COUNT``);
    ``ValueError`` for anything else. Making one limits NumPy's BLAS to one thread (``keep_blas_to_one_thread``).
    """

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        check_refiner_tensors(weights)
        keep_blas_to_one_thread()
        tensors = {name: np.asarray(value, np.float64) for name, value in weights.items()}
        # The features' standardisation, (x - mean) / std, folded into the first layer: (H, F) and (H,).
        first = tensors["layer0.weight"] / tensors["feature_std"][None, :]
        first_bias = tensors["layer0.bias"] - first @ tensors["feature_mean"]
        # (out, in) weights and (out, 1) biases: the network runs on a column per pixel, (F, N) -> (2, N). NumPy's
        # products on these thin matrices (13 or 16 inputs a pixel) take 0.56 ms this way for 19,000 pixels on one
        # thread, against 0.95 ms with a row per pixel.
        self._layers = [
            (np.ascontiguousarray(weight, np.float32), np.asarray(bias, np.float32)[:, None])
            for weight, bias in (
                (first, first_bias),
                (tensors["layer1.weight"], tensors["layer1.bias"]),
                (tensors["layer2.weight"], tensors["layer2.bias"]),
            )
        ]

    @classmethod
    def from_file(cls, path: Path) -> LearntEdgeRefiner:
        """Load from safetensors (no pickle); ``ValueError`` when the file is not such weights, or is larger than
        ``MAX_REFINER_BYTES`` (checked before it is read: a huge foreign file must not fill the memory)."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            size = path.stat().st_size
            if size > MAX_REFINER_BYTES:
                raise ValueError(f"it is {size} bytes, and an edge refiner is at most {MAX_REFINER_BYTES}")
            tensors = load_file(str(path))
        except (SafetensorError, OSError) as error:
            raise ValueError(f"it cannot be read as safetensors ({error})") from None
        return cls({name: tensor.astype(np.float32) for name, tensor in tensors.items()})

    def __call__(self, mask: np.ndarray, small_grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features, (slope, mean_mask, mean_grey) = refiner_features(mask, small_grey)
        # The network runs where the widest window holds both person and room; elsewhere the mask is sure, the
        # classic fit gives a flat 0 or 1, and a correction could only add a faint glow or a faint hole.
        widest_mean = features[_WIDEST_MEAN]
        unsure = np.flatnonzero((widest_mean > SURE_MARGIN) & (widest_mean < 1.0 - SURE_MARGIN))
        hidden = np.take(features.reshape(FEATURE_COUNT, -1), unsure, axis=1)  # (F, N): a column per unsure pixel
        for index, (weight, bias) in enumerate(self._layers):
            hidden = weight @ hidden
            hidden += bias
            if index < len(self._layers) - 1:
                np.maximum(hidden, 0.0, out=hidden)
        # hidden is (2, N): the corrections to the slope and to the mean mask. In place: the network's input was a
        # copy taken out of the features, which hold these planes too.
        slope.reshape(-1)[unsure] += hidden[0]
        mean_mask.reshape(-1)[unsure] += hidden[1]
        return _smoothed_level(slope, mean_mask, mean_grey)


def check_refiner_tensors(weights: Mapping[str, np.ndarray]) -> None:
    """``ValueError`` naming the first tensor of ``weights`` that is missing, extra, misshapen or not finite."""
    if set(weights) != set(REFINER_TENSORS):
        raise ValueError(f"expected the tensors {sorted(REFINER_TENSORS)}, got {sorted(weights)}")
    hidden = np.shape(weights["layer0.bias"])[0] if np.ndim(weights["layer0.bias"]) == 1 else -1
    if not 1 <= hidden <= MAX_HIDDEN:
        raise ValueError(f"the hidden layers must be 1 to {MAX_HIDDEN} wide, got {hidden}")
    for name, dims in REFINER_TENSORS.items():
        expected = tuple(FEATURE_COUNT if d == "F" else hidden if d == "H" else d for d in dims)
        tensor = np.asarray(weights[name])
        if tensor.shape != expected:
            raise ValueError(f"tensor {name} has shape {tensor.shape}, expected {expected}")
        if not np.isfinite(tensor).all():
            raise ValueError(f"tensor {name} holds NaN or infinite values")
    if not (np.asarray(weights["feature_std"]) > 0).all():
        raise ValueError("tensor feature_std must be positive")


_scratch = threading.local()  # per thread: a full-resolution float32 plane reused between frames of one size


def _full_size_scratch(height: int, width: int) -> np.ndarray:
    """A (height, width) float32 buffer of this thread's, reused while the size stays: a fresh 3.6 MB plane per 720p
    frame costs about as much in page faults as the arithmetic on it."""
    plane = getattr(_scratch, "plane", None)
    if plane is None or plane.shape != (height, width):
        plane = _scratch.plane = np.empty((height, width), np.float32)
    return plane


def apply_coefficients(slope: np.ndarray, level: np.ndarray, frame_grey: np.ndarray) -> np.ndarray:
    """(h, w) float32 coefficients on the (H, W) uint8 grey frame -> a fresh (H, W) float32 alpha in [0, 1]."""
    height, width = frame_grey.shape
    alpha = cv2.resize(slope, (width, height), interpolation=cv2.INTER_LINEAR)
    full_level = cv2.resize(
        level, (width, height), dst=_full_size_scratch(height, width), interpolation=cv2.INTER_LINEAR
    )
    cv2.multiply(alpha, frame_grey, dst=alpha, dtype=cv2.CV_32F, scale=1.0 / 255.0)
    cv2.add(alpha, full_level, dst=alpha)
    cv2.max(alpha, 0.0, dst=alpha)
    return cv2.min(alpha, 1.0, dst=alpha)


PROBE_AGREEMENT = 0.98  # share of sure pixels whose side of 0.5 the refined alpha must keep


def probe_edges(edges: Coefficients) -> str:
    """Why ``edges`` cannot be trusted to upsample masks, or "" when it can.

    On a probe scene (a bright figure on a textured room) with the figure's blurred mask, and with an empty mask,
    the alpha must keep the mask's side of 0.5 on at least ``PROBE_AGREEMENT`` of the pixels the mask is sure of
    (below 0.1 or above 0.9), and it must mark no more than 1% of the picture with an empty mask: a refiner that
    turned the room into person would show the room.
    """
    height, width = 144, 256
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    room = 90 + 40 * np.sin(x / 7.0) * np.cos(y / 5.0)
    scene = np.stack([room, room * 0.8 + 20, room * 0.6 + 30], axis=2)
    figure = np.zeros((height, width), np.uint8)
    cv2.ellipse(figure, (128, 150), (60, 90), 0, 0, 360, 1, -1)
    scene[figure > 0] = (220, 180, 160)
    small = np.clip(scene, 0, 255).astype(np.uint8)
    frame = cv2.resize(small, (width * 4, height * 4), interpolation=cv2.INTER_LINEAR)
    small_grey, frame_grey = to_grey(small), to_grey(frame)
    mask = cv2.GaussianBlur(figure.astype(np.float32), (0, 0), 2.0)
    for probe_mask in (mask, np.zeros_like(mask)):
        slope, level = edges(probe_mask, small_grey)
        if slope.shape != mask.shape or level.shape != mask.shape:
            return f"it gives coefficients of shape {slope.shape} for a mask of shape {mask.shape}"
        if not (np.isfinite(slope).all() and np.isfinite(level).all()):
            return "it gives NaN or infinite values"
        alpha = apply_coefficients(slope, level, frame_grey)
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
        sure = (probe_mask < 0.1) | (probe_mask > 0.9)
        agreement = float(((alpha >= 0.5) == (probe_mask >= 0.5))[sure].mean())
        if agreement < PROBE_AGREEMENT:
            return f"its alpha keeps the mask's sure pixels on their side on only {agreement:.0%} of them"
    return ""
