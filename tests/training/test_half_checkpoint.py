"""The float16 copy of a run's EMA checkpoint exports to exactly the model the float32 checkpoint does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from segmentation.architecture import ArchitectureConfig
from segmentation.export.ship import _model_from_checkpoint
from segmentation.model import DeepLabV3Plus
from segmentation.training.config import TrainConfig, config_to_dict
from segmentation.training.half_checkpoint import half_checkpoint, main

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def _ema_checkpoint(path: Path) -> None:
    """A checkpoint as the trainer writes ``best_ema.pt``: random weights of the shipped architecture's family."""
    config = TrainConfig(backbone="efficientnet_lite0", aspp_channels=32, decoder_channels=32)
    torch.manual_seed(0)
    model = DeepLabV3Plus(ArchitectureConfig.from_training_config(config_to_dict(config)))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.1)  # digits below float16's precision, which the copy must drop as export does
    state = {"model": model.state_dict(), "step": 7, "metrics": {"val_iou": 0.5}, "config": config_to_dict(config)}
    torch.save(state, path)


def test_the_half_copy_exports_to_the_same_model_at_about_half_the_size(tmp_path: Path) -> None:
    original, copy = tmp_path / "best_ema.pt", tmp_path / "best_ema_fp16.pt"
    _ema_checkpoint(original)
    half_checkpoint(original, copy)
    assert copy.stat().st_size < 0.6 * original.stat().st_size
    model, state = _model_from_checkpoint(original)
    model_from_copy, copied_state = _model_from_checkpoint(copy)
    copied_weights = model_from_copy.state_dict()
    for name, value in model.state_dict().items():
        assert value.dtype == copied_weights[name].dtype and torch.equal(value, copied_weights[name]), name
    assert (copied_state["step"], copied_state["metrics"], copied_state["config"]) == (
        state["step"],
        state["metrics"],
        state["config"],
    )
    stored = torch.load(copy, weights_only=True)["model"]
    assert {value.dtype for value in stored.values()} == {torch.float16, torch.int64}  # batch counters stay integers


def test_a_file_that_is_not_an_ema_checkpoint_is_refused_with_the_reason(tmp_path: Path, capsys) -> None:
    garbage, no_weights = tmp_path / "garbage.pt", tmp_path / "resumable.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    torch.save({"optimizer": {}, "step": 3}, no_weights)
    with pytest.raises(ValueError, match="cannot be read as a training checkpoint"):
        half_checkpoint(garbage, tmp_path / "out.pt")
    with pytest.raises(ValueError, match="no weights in it"):
        half_checkpoint(no_weights, tmp_path / "out.pt")
    assert main([str(no_weights), str(tmp_path / "out.pt")]) == 2
    assert "best_ema.pt or final_ema.pt" in capsys.readouterr().err
    assert not (tmp_path / "out.pt").exists()
