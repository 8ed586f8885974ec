"""The IoU surrogate (Lovasz hinge), the twin-frame consistency term and the re-capture perturbation."""

from __future__ import annotations

import torch

from segmentation.metrics import iou
from segmentation.training.losses import consistency_loss, lovasz_hinge_loss, recapture, segmentation_loss


def _disc_mask(size: int = 32) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return (((ys - 14) ** 2 + (xs - 17) ** 2) < 81).float()[None, None]


def test_lovasz_is_zero_for_a_confident_correct_mask_and_grows_with_errors() -> None:
    target = _disc_mask()
    correct = (target * 2 - 1) * 3.0
    assert torch.allclose(lovasz_hinge_loss(correct, target), torch.zeros(1))
    assert torch.allclose(lovasz_hinge_loss(torch.zeros_like(target), target), torch.ones(1))
    one_wrong_row = correct.clone()
    one_wrong_row[..., 20, :] = -correct[..., 20, :]
    inverted = -correct
    losses = [float(lovasz_hinge_loss(logits, target)) for logits in (correct, one_wrong_row, inverted)]
    assert losses[0] < losses[1] < losses[2]


def test_optimising_the_lovasz_hinge_raises_the_iou() -> None:
    target = _disc_mask()
    logits = (torch.randn(target.shape, generator=torch.Generator().manual_seed(0)) * 0.5).requires_grad_()
    before = iou(torch.sigmoid(logits).detach()[0, 0].numpy(), target[0, 0].numpy())
    optimiser = torch.optim.Adam([logits], lr=0.1)
    for _ in range(30):
        optimiser.zero_grad()
        lovasz_hinge_loss(logits, target).sum().backward()
        optimiser.step()
    after = iou(torch.sigmoid(logits).detach()[0, 0].numpy(), target[0, 0].numpy())
    assert before < 0.5 and after > 0.95


def test_segmentation_loss_adds_the_lovasz_term_only_when_weighted() -> None:
    target = _disc_mask()
    logits = torch.zeros_like(target)
    weight = torch.ones(1)
    plain = segmentation_loss(logits, target, weight)
    with_lovasz = segmentation_loss(logits, target, weight, lovasz_weight=0.5)
    assert torch.isclose(with_lovasz - plain, torch.tensor(0.5))


def test_consistency_is_zero_for_equal_masks_and_measures_the_mean_change() -> None:
    logits = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    assert float(consistency_loss(logits, logits)) == 0.0
    flipped = torch.zeros(2, 1, 8, 8)
    flipped_twin = flipped.clone()
    flipped_twin[:, :, :4] = 100.0  # half the pixels move from p=0.5 to p=1
    assert abs(float(consistency_loss(flipped, flipped_twin)) - 0.25) < 1e-6


def test_recapture_is_a_small_8_bit_perturbation_of_the_same_frame() -> None:
    images = torch.rand(4, 3, 36, 64, generator=torch.Generator().manual_seed(2))
    twin = recapture(images, torch.Generator().manual_seed(3))
    assert twin.shape == images.shape
    assert float(twin.min()) >= 0.0 and float(twin.max()) <= 1.0
    assert torch.equal(twin, (twin * 255).round() / 255)  # 8-bit levels, as a camera delivers
    difference = (twin - images).abs().mean().item() * 255
    assert 0.3 < difference < 4.0, f"mean change {difference:.2f} grey levels"
    again = recapture(images, torch.Generator().manual_seed(3))
    assert torch.equal(twin, again)
