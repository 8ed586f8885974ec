"""Loss for crisp, stable person edges: boundary-weighted BCE plus soft Dice, optionally the Lovasz hinge (IoU),
a consistency term between a frame and its noisy re-capture (flicker), and a temporal term between two consecutive
teacher-labelled frames (flicker on moving footage).

Inputs are logits and targets of shape (N, 1, H, W) (float32, targets in [0, 1], soft targets allowed) and per-sample
weights (N,). Pixels within ``band`` pixels of the target's outline get ``1 + boundary_weight`` times the BCE weight,
so the model is pushed hardest where the composite is judged: hair, shoulders, hands.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def boundary_band(target: torch.Tensor, band: int = 3) -> torch.Tensor:
    """1.0 where the (N, 1, H, W) target is mixed within a (2*band+1)^2 window, else 0.0."""
    size = 2 * band + 1
    binary = (target >= 0.5).float()
    dilated = F.max_pool2d(binary, size, stride=1, padding=band)
    eroded = -F.max_pool2d(-binary, size, stride=1, padding=band)
    return (dilated - eroded).clamp_(0.0, 1.0)


def soft_dice_loss(probability: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Per-sample 1 - soft Dice, shape (N,)."""
    intersection = (probability * target).sum(dim=(1, 2, 3))
    total = probability.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return 1.0 - (2.0 * intersection + eps) / (total + eps)


def segmentation_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    sample_weight: torch.Tensor,
    *,
    boundary_weight: float = 2.0,
    dice_weight: float = 0.5,
    lovasz_weight: float = 0.0,
) -> torch.Tensor:
    """Scalar loss: mean over samples of weight * (boundary-weighted BCE + dice_weight * soft Dice
    + lovasz_weight * Lovasz hinge)."""
    logits = logits.float()
    pixel_weight = 1.0 + boundary_weight * boundary_band(target)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    bce = (bce * pixel_weight).sum(dim=(1, 2, 3)) / pixel_weight.sum(dim=(1, 2, 3))
    per_sample = bce + dice_weight * soft_dice_loss(torch.sigmoid(logits), target)
    if lovasz_weight > 0.0:
        per_sample = per_sample + lovasz_weight * lovasz_hinge_loss(logits, target)
    return (per_sample * sample_weight).sum() / sample_weight.sum()


def lovasz_hinge_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample Lovasz hinge (Berman et al., 2018), a convex surrogate of 1 - IoU; shape (N,).

    ``logits`` and ``target`` are (N, 1, H, W); the target is binarised at 0.5 (soft labels count as their nearest
    class). A sample with no person pixels gets the hinge of its false positives only, as the definition gives.
    """
    losses = []
    for sample_logits, sample_target in zip(logits.float().flatten(1), (target >= 0.5).float().flatten(1), strict=True):
        signs = 2.0 * sample_target - 1.0
        errors = 1.0 - sample_logits * signs
        errors_sorted, order = torch.sort(errors, descending=True)
        gt_sorted = sample_target[order]
        positives = gt_sorted.sum()
        intersection = positives - gt_sorted.cumsum(0)
        union = positives + (1.0 - gt_sorted).cumsum(0)
        jaccard = 1.0 - intersection / union
        jaccard = torch.cat([jaccard[:1], jaccard[1:] - jaccard[:-1]])
        losses.append(torch.dot(F.relu(errors_sorted), jaccard))
    return torch.stack(losses)


def consistency_loss(logits: torch.Tensor, twin_logits: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of the person probabilities of a frame and its re-captured twin; scalar.

    Both are (K, 1, H, W) logits of the same images under different sensor noise: a model that gives the same
    mask for both does not flicker on a still webcam scene. Gradients flow into both branches.
    """
    return (torch.sigmoid(logits.float()) - torch.sigmoid(twin_logits.float())).abs().mean()


def temporal_loss(
    first_logits: torch.Tensor, second_logits: torch.Tensor, first_target: torch.Tensor, second_target: torch.Tensor
) -> torch.Tensor:
    """Mean absolute difference between the model's change of mask and the teacher's between two frames; scalar.

    All four are (K, 1, H, W): logits of a clip's frame and of the next one under the same crop, and the teacher's
    alpha in [0, 1] for each. Where the teacher's alpha stands still the model's must too (no flicker); where the
    person moves the model must follow as far as the teacher does (no lag). Gradients flow into both frames.
    """
    model_change = torch.sigmoid(second_logits.float()) - torch.sigmoid(first_logits.float())
    return (model_change - (second_target - first_target)).abs().mean()


def recapture(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The same frames as a webcam would deliver them a moment later, with nothing in the scene moving.

    ``images`` is (K, 3, H, W) float in [0, 1]; returns the same shape and range: per-frame gain (+-2%) and offset
    (+-1 grey level) as auto-exposure drifts, per-pixel sensor noise (sigma 0.5-3 grey levels), rounded to 8 bits.
    """
    count = images.shape[0]

    def uniform(low: float, high: float) -> torch.Tensor:
        draw = torch.rand((count, 1, 1, 1), generator=generator, device=images.device, dtype=images.dtype)
        return low + (high - low) * draw

    noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
    twin = images * uniform(0.98, 1.02) + uniform(-1.0, 1.0) / 255.0 + noise * uniform(0.5, 3.0) / 255.0
    return (twin.clamp(0.0, 1.0) * 255.0).round() / 255.0
