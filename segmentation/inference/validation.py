"""Checks on what a model returns, so that a broken or foreign model can never decide what the output shows.

A NaN in the mask composites as "person" (the whole room shows), and +inf logits become a mask of 1 everywhere.
fp16 on a GPU is exactly where such values appear. Every model output passes ``check_logits``; every mask a caller
is about to use passes ``check_mask``; a model file passes ``probe_model`` once, when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

PROBE_SIZE = (256, 144)  # width, height of the probe frames: the default 16:9 model input


class ModelOutputError(RuntimeError):
    """The model returned something that is not a person mask (wrong shape or type, NaN or infinite values).

    The message is meant for the user and names what came back.
    """


def check_logits(logits: object, batch_shape: tuple[int, ...]) -> np.ndarray:
    """Return ``logits`` if it is a finite floating (N, 1, h, w) array for a (N, 3, h, w) ``batch_shape``.

    Raises ``ModelOutputError`` otherwise: a model with another output layout (N, h, w), two channels, a smaller
    map) or a model that returned NaN or infinite values.
    """
    batch, _, height, width = batch_shape
    expected = (batch, 1, height, width)
    if not isinstance(logits, np.ndarray) or not np.issubdtype(logits.dtype, np.floating):
        kind = f"{logits.dtype}" if isinstance(logits, np.ndarray) else type(logits).__name__
        raise ModelOutputError(f"the model returned {kind} values instead of floating-point person scores")
    if logits.shape != expected:
        raise ModelOutputError(
            f"the model returned an output of shape {logits.shape} for an input of shape {tuple(batch_shape)}; "
            f"a person segmenter returns {expected}"
        )
    if not np.isfinite(logits).all():
        raise ModelOutputError("the model returned NaN or infinite values instead of a person mask")
    return logits


def check_mask(mask: object, size: tuple[int, int]) -> np.ndarray:
    """Return ``mask`` if it is an (h, w) float32 array in [0, 1] with no NaN, for ``size`` = (h, w).

    Raises ``ModelOutputError`` otherwise. Cheap at model sizes (a 256x144 mask takes about 20 microseconds).
    """
    if not isinstance(mask, np.ndarray) or mask.dtype != np.float32:
        kind = f"{mask.dtype}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ModelOutputError(f"the segmenter returned a {kind} mask instead of float32")
    if mask.shape != size:
        raise ModelOutputError(f"the segmenter returned a mask of shape {mask.shape} for a frame of {size}")
    if not np.isfinite(mask).all() or (mask.size and (mask.min() < 0.0 or mask.max() > 1.0)):
        raise ModelOutputError("the segmenter returned a mask with NaN values or values outside 0 to 1")
    return mask


def probe_frames() -> np.ndarray:
    """Two different (2, 3, 144, 256) float32 probe frames in [0, 1]: a smooth colour field and its mirror image with
    a bright disc, so that a model's output must differ between them."""
    width, height = PROBE_SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    first = np.stack([x / width, y / height, 0.5 + 0.4 * np.sin(x / 17.0) * np.cos(y / 11.0)], axis=2)
    second = first[:, ::-1, ::-1].copy()
    cv2.circle(second, (width // 2, height // 2), height // 3, (1.0, 0.9, 0.8), -1)
    return np.ascontiguousarray(np.stack([first, second]).transpose(0, 3, 1, 2), dtype=np.float32)


def probe_model(run_batch: Callable[[np.ndarray], np.ndarray], where: str) -> None:
    """Run two probe frames through ``run_batch`` once; raise ``ModelOutputError`` naming ``where`` (the model file)
    when the output is not a finite (2, 1, 144, 256) score map that depends on the picture.

    A model that returns the same value for every pixel of both frames, or the same map for both, has ignored its
    input: its mask would show the room through the background at a fixed strength.
    """
    frames = probe_frames()
    try:
        logits = check_logits(run_batch(frames), frames.shape)
    except ModelOutputError as error:
        raise ModelOutputError(f"{where} is not a usable person segmenter: {error}") from None
    if float(np.ptp(logits)) == 0.0 or np.array_equal(logits[0], logits[1]):
        raise ModelOutputError(
            f"{where} is not a usable person segmenter: it gives the same output whatever the picture"
        )
