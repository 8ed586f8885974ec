"""The weights' EMA: the same numbers as the averaging it replaced, in a checkpoint layout old tools still read."""

from __future__ import annotations

import pytest
import torch
from torch.optim.swa_utils import AveragedModel

from segmentation.model import build_deeplabv3plus
from segmentation.training.ema import WeightEma


def _warm_up_average(decay: float):
    """The per-tensor average the trainer used before (``AveragedModel``'s ``avg_fn``)."""

    def average(averaged, current, num_averaged):
        count = float(num_averaged)
        effective = min(decay, (1.0 + count) / (10.0 + count))
        return averaged * effective + current * (1.0 - effective)

    return average


def _step(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Change every weight and run a training-mode forward (BatchNorm statistics move, the counter counts)."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.01)
    model.train()
    model(torch.rand((2, 3, 64, 64), generator=generator))


def test_the_ema_matches_the_averaging_it_replaced() -> None:
    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone="mobilenet_v2")
    reference = AveragedModel(model, avg_fn=_warm_up_average(0.9), use_buffers=True)
    ema = WeightEma(model, 0.9)
    generator = torch.Generator().manual_seed(1)
    for _ in range(6):
        _step(model, generator)
        reference.update_parameters(model)
        ema.update(model)
    for key, value in reference.state_dict().items():
        if not value.is_floating_point():  # BatchNorm's step counters: copied now, truncated averages before
            continue
        assert torch.allclose(ema.state_dict()[key].float(), value.float(), atol=1e-6), key
    assert ema.n_averaged == 6 and ema.effective_decay() == pytest.approx(min(0.9, 7 / 16))


def test_a_checkpoint_round_trips_and_reads_an_old_one() -> None:
    model = build_deeplabv3plus(backbone="mobilenet_v2")
    old = AveragedModel(model, use_buffers=True)
    old.update_parameters(model)
    ema = WeightEma(build_deeplabv3plus(backbone="mobilenet_v2"), 0.99)
    ema.load_state_dict(old.state_dict())
    assert ema.n_averaged == 1
    assert all(torch.equal(ema.module.state_dict()[key], value) for key, value in model.state_dict().items())
    again = WeightEma(build_deeplabv3plus(backbone="mobilenet_v2"), 0.99)
    again.load_state_dict(ema.state_dict())
    assert again.n_averaged == 1


def test_a_decay_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="decay"):
        WeightEma(torch.nn.Linear(2, 2), 1.0)
