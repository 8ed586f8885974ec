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
    """Return ``logits`` as float32 if it is a finite floating (N, 1, h, w) array for a (N, 3, h, w) ``batch_shape``
    that is not one value everywhere.

    Raises ``ModelOutputError`` otherwise: a model with another output layout ((N, h, w), two channels, a smaller
    map), a model that returned NaN or infinite values (float64 values beyond float32's range count as infinite),
    or one that returned the same value for every pixel (no picture gives that; a broken model does). Costs two
    passes over the map (its minimum and maximum), about 20 microseconds at 256x144.
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
    with np.errstate(over="ignore", invalid="ignore"):
        scores = logits.astype(np.float32, copy=False)
    lowest, highest = float(scores.min()), float(scores.max())  # NaN anywhere makes both NaN
    if not (np.isfinite(lowest) and np.isfinite(highest)):
        raise ModelOutputError("the model returned NaN or infinite values instead of a person mask")
    if lowest == highest:
        raise ModelOutputError(f"the model returned {lowest + 0.0:g} for every pixel instead of a person mask")
    return scores


def check_mask(mask: object, size: tuple[int, int]) -> np.ndarray:
    """Return ``mask`` if it is an (h, w) float32 array in [0, 1] with no NaN, for ``size`` = (h, w).

    Raises ``ModelOutputError`` otherwise. The renderer checks what any segmenter handed it (a subclass or a fake may
    skip ``check_logits``); two passes, about 20 microseconds for a 256x144 mask.
    """
    if not isinstance(mask, np.ndarray) or mask.dtype != np.float32:
        kind = f"{mask.dtype}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ModelOutputError(f"the segmenter returned a {kind} mask instead of float32")
    if mask.shape != size:
        raise ModelOutputError(f"the segmenter returned a mask of shape {mask.shape} for a frame of {size}")
    lowest, highest = (float(mask.min()), float(mask.max())) if mask.size else (0.0, 0.0)  # NaN makes both NaN
    if not (0.0 <= lowest <= highest <= 1.0):
        raise ModelOutputError("the segmenter returned a mask with NaN values or values outside 0 to 1")
    return mask


def probe_frames() -> np.ndarray:
    """Two different (2, 3, 144, 256) float32 probe frames in [0, 1], with nobody in them: a smooth colour field,
    and its mirror image with a bright disc."""
    width, height = PROBE_SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    first = np.stack([x / width, y / height, 0.5 + 0.4 * np.sin(x / 17.0) * np.cos(y / 11.0)], axis=2)
    second = first[:, ::-1, ::-1].copy()
    cv2.circle(second, (width // 2, height // 2), height // 3, (1.0, 0.9, 0.8), -1)
    return np.ascontiguousarray(np.stack([first, second]).transpose(0, 3, 1, 2), dtype=np.float32)


MIN_PROBE_RANGE = 0.1  # logits: a mask that moves less than this between two pictures hardly depends on them
_PROBE_SIZES = ((320, 176), (160, 96))  # further input sizes of the adaptive ladder, run one frame at a time
_BATCH_TOLERANCE = 1e-2  # logits: a frame alone and the same frame in a batch must agree (float16 on a GPU included)


def probe_model(run_batch: Callable[[np.ndarray], np.ndarray], where: str) -> None:
    """Refuse, with ``ModelOutputError`` naming ``where`` (the model file), a model that does not behave as a person
    segmenter on probe frames with nobody in them.

    The frames run as a batch of two at 256x144, then one at a time there and at two other input sizes. Every
    output must be finite logits of the input's size; the maps must differ by at least ``MIN_PROBE_RANGE``
    (a model whose output hardly depends on the picture shows the room at a fixed strength); not every pixel may
    be a person (at least half the room would show through any background); and a frame must give the same map
    alone as in a batch.
    """
    frames = probe_frames()
    try:
        batched = check_logits(run_batch(frames), frames.shape)
        alone = [check_logits(run_batch(frames[index : index + 1]), (1, *frames.shape[1:])) for index in range(2)]
        resized = [_resized(frames[:1], size) for size in _PROBE_SIZES]
        other_sizes = [check_logits(run_batch(batch), batch.shape) for batch in resized]
    except ModelOutputError as error:
        raise ModelOutputError(f"{where} is not a usable person segmenter: {error}") from None
    problem = _probe_problem(batched, alone, other_sizes)
    if problem:
        raise ModelOutputError(f"{where} is not a usable person segmenter: {problem}")


def _probe_problem(batched: np.ndarray, alone: list[np.ndarray], other_sizes: list[np.ndarray]) -> str:
    if float(batched.max() - batched.min()) < MIN_PROBE_RANGE or np.array_equal(batched[0], batched[1]):
        return "its output hardly depends on the picture"
    if any(bool((logits >= 0.0).all()) for logits in (batched, *alone, *other_sizes)):
        return "it calls every pixel of a picture with nobody in it a person"
    if any(float(np.abs(single[0] - batched[index]).max()) > _BATCH_TOLERANCE for index, single in enumerate(alone)):
        return "it gives a frame another mask alone than in a batch"
    return ""


def _resized(batch: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(1, 3, h, w) float32 -> (1, 3, height, width) for ``size`` = (width, height), bilinear."""
    picture = cv2.resize(batch[0].transpose(1, 2, 0), size, interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(picture.transpose(2, 0, 1)[None], dtype=np.float32)
