"""Consecutive teacher-labelled webcam frames, for the temporal term of the loss (flicker on moving footage).

A ``FramePair`` is two frames of one clip a moment apart (``frame_step`` source frames, 2 by default: 67 ms at
30 fps) with RVM's recurrent alpha for each. ``pair_batch`` crops both frames of each pair with one crop and gives
both the same photometric draws, so the only change between them is the scene's own; the temporal loss
(``losses.temporal_loss``) then asks the model's mask to change between them as the teacher's does, and no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from segmentation.training.augment import crop_matrix, warp_crop, webcam_photometric


@dataclass(frozen=True)
class FramePair:
    """Two frames of one clip, ``rgb`` (2, H, W, 3) uint8 in clip order, and their teacher alphas, ``alpha``
    (2, H, W) uint8 in [0, 255]; ``name`` says which clip and labelled frame the first is."""

    name: str
    rgb: np.ndarray
    alpha: np.ndarray

    def __post_init__(self) -> None:
        if self.rgb.ndim != 4 or self.rgb.shape[0] != 2 or self.rgb.shape[3] != 3 or self.rgb.dtype != np.uint8:
            raise ValueError(f"a frame pair's rgb is (2, H, W, 3) uint8, got {self.rgb.shape} {self.rgb.dtype}")
        if self.alpha.shape != self.rgb.shape[:3] or self.alpha.dtype != np.uint8:
            raise ValueError(f"a frame pair's alpha is (2, H, W) uint8, got {self.alpha.shape} {self.alpha.dtype}")


def clip_pairs(name: str, frames: np.ndarray, alphas: np.ndarray, every: int) -> list[FramePair]:
    """Pairs (k, k + 1) of consecutive labelled frames for k = 0, ``every``, 2 * ``every``, ... of one clip.

    ``frames`` (N, H, W, 3) uint8 and ``alphas`` (N, H, W) uint8 are every labelled frame of the clip, in order.
    The pairs own copies of their frames, so the clip's arrays can be freed.
    """
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    if len(frames) != len(alphas):
        raise ValueError(f"{name}: {len(frames)} frames but {len(alphas)} alphas")
    return [
        FramePair(f"{name}_{index}", frames[index : index + 2].copy(), alphas[index : index + 2].copy())
        for index in range(0, len(frames) - 1, every)
    ]


def pair_batch(
    pairs: Sequence[FramePair],
    count: int,
    size: tuple[int, int],
    rng: np.random.Generator,
    crop_min_area: float = 0.35,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` random pairs as one batch: images (2 * count, 3, h, w) float32 in [0, 1] and targets
    (2 * count, 1, h, w) float32 in [0, 1] at ``size`` = (w, h); the first ``count`` are the pairs' first frames,
    the last ``count`` their second frames, in the same order.

    Both frames of a pair get one crop (``augment.crop_matrix`` around the first frame's person) and the same
    photometric draws (``augment.webcam_photometric`` from one seed).
    """
    if not pairs:
        raise ValueError("no frame pairs to draw from")
    firsts, seconds = [], []
    for _ in range(count):
        pair = pairs[int(rng.integers(len(pairs)))]
        alphas = pair.alpha.astype(np.float32) / 255.0
        matrix = crop_matrix(alphas[0], size, rng, crop_min_area)
        seed = int(rng.integers(2**63))
        cropped = []
        for rgb, alpha in zip(pair.rgb, alphas, strict=True):
            image, target = warp_crop(rgb, alpha, matrix, size)
            cropped.append((webcam_photometric(image, np.random.default_rng(seed)), target))
        firsts.append(cropped[0])
        seconds.append(cropped[1])
    frames = firsts + seconds
    images = torch.from_numpy(np.stack([image for image, _ in frames])).permute(0, 3, 1, 2).float().div_(255.0)
    targets = torch.from_numpy(np.stack([target for _, target in frames]).astype(np.float32))[:, None]
    return images.contiguous(), targets
