"""``python -m segmentation.tools.average``: weight averaging of checkpoints (model soups)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch.optim.swa_utils import AveragedModel

from segmentation.model import build_deeplabv3plus
from segmentation.tools.average import average_weights, ema_weights
from segmentation.tools.average import main as average_main
from segmentation.training.config import TrainConfig, config_to_dict


def _best_ema(path: Path, seed: int, backbone: str = "mobilenet_v2") -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = build_deeplabv3plus(backbone=backbone)
    config = config_to_dict(TrainConfig(backbone=backbone))
    torch.save({"model": model.state_dict(), "config": config}, path)
    return model.state_dict()


def test_average_is_the_elementwise_mean_and_keeps_integer_buffers(tmp_path: Path) -> None:
    first = _best_ema(tmp_path / "a.pt", seed=0)
    second = _best_ema(tmp_path / "b.pt", seed=1)
    averaged = average_weights([first, second])
    for key, value in first.items():
        if value.is_floating_point():
            torch.testing.assert_close(averaged[key], (value + second[key]) / 2)
        else:
            assert torch.equal(averaged[key], value)


def test_cli_reads_best_ema_and_last_pt_and_writes_an_exportable_checkpoint(tmp_path: Path) -> None:
    first = _best_ema(tmp_path / "best_ema.pt", seed=0)
    run = tmp_path / "run"
    run.mkdir()
    torch.manual_seed(2)
    model = build_deeplabv3plus(backbone="mobilenet_v2")
    ema = AveragedModel(model, use_buffers=True)
    torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "step": 7}, run / "last.pt")
    (run / "config.json").write_text(json.dumps(config_to_dict(TrainConfig(backbone="mobilenet_v2"))))

    out = tmp_path / "soup" / "best_ema.pt"
    assert average_main([str(tmp_path / "best_ema.pt"), str(run / "last.pt"), "--out", str(out)]) == 0
    saved = torch.load(out, weights_only=True)
    assert saved["config"]["backbone"] == "mobilenet_v2"
    from_last = ema_weights(run / "last.pt")[0]
    for key in ("head.weight", "decoder.fuse.1.1.1.running_var"):
        torch.testing.assert_close(saved["model"][key], (first[key] + from_last[key]) / 2)
    build_deeplabv3plus(backbone="mobilenet_v2").load_state_dict(saved["model"], strict=True)


def test_different_architectures_are_refused(tmp_path: Path, capsys) -> None:
    _best_ema(tmp_path / "a.pt", seed=0, backbone="mobilenet_v2")
    _best_ema(tmp_path / "b.pt", seed=0, backbone="efficientnet_lite0")
    with pytest.raises(SystemExit) as exit_info:
        average_main([str(tmp_path / "a.pt"), str(tmp_path / "b.pt"), "--out", str(tmp_path / "c.pt")])
    assert exit_info.value.code == 2
    assert "different architectures" in capsys.readouterr().err
    assert not (tmp_path / "c.pt").exists()


def test_a_missing_checkpoint_is_named(tmp_path: Path, capsys) -> None:
    _best_ema(tmp_path / "a.pt", seed=0)
    with pytest.raises(SystemExit):
        average_main([str(tmp_path / "a.pt"), str(tmp_path / "gone.pt"), "--out", str(tmp_path / "c.pt")])
    assert "gone.pt" in capsys.readouterr().err
