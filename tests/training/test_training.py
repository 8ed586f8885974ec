"""Training: a tiny end-to-end run and its resume, a two-process DDP run, the loss and the configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from training_runs import TINY_RUN, log_rows

from segmentation.training.config import TrainConfig, config_to_dict, parse_config
from segmentation.training.losses import boundary_band, segmentation_loss
from segmentation.training.train import allocator_hint

pytestmark = pytest.mark.usefixtures("single_torch_thread")

_REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tiny_training_run_writes_its_outputs_and_resumes(data_root: Path, tmp_path: Path) -> None:
    from segmentation.training.trainer import train

    config = TrainConfig(
        run_dir=tmp_path, label_cache=tmp_path / "labels", data_root=data_root, max_steps=3, val_every=3, **TINY_RUN
    )
    # The resumed part also exercises the IoU surrogate and the twin-frame consistency term.
    resumed = replace(
        config, max_steps=5, resume=True, lovasz_weight=0.5, consistency_weight=1.0, consistency_samples=1
    )
    best = train(config)
    for name in ("log.csv", "curves.png", "last.pt", "best_ema.pt", "config.json"):
        assert (tmp_path / name).is_file(), f"the run did not write {name}"
    rows = log_rows(tmp_path)
    assert [row["step"] for row in rows] == ["1", "2", "3"]
    assert rows[-1]["val_iou"] != ""
    assert 0.0 <= best["val_iou"] <= 1.0
    assert all(float(row["loss"]) > 0 for row in rows)
    assert any((tmp_path / "labels").iterdir())  # teacher labels went to the shared label cache
    checkpoint = torch.load(tmp_path / "best_ema.pt", map_location="cpu", weights_only=True)
    assert checkpoint["step"] == 3 and checkpoint["config"]["backbone"] == "efficientnet_lite0"

    train(resumed)
    rows = log_rows(tmp_path)
    assert [row["step"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert rows[-1]["val_iou"] != ""  # the last step always validates
    assert torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)["step"] == 5


@pytest.mark.slow
def test_a_time_budget_ends_the_run_early_with_its_weights_saved(data_root: Path, tmp_path: Path) -> None:
    from segmentation.training.trainer import train

    config = TrainConfig(
        run_dir=tmp_path,
        label_cache=tmp_path / "labels",
        data_root=data_root,
        max_steps=500,
        val_every=500,
        time_budget_minutes=1e-4,  # spent within the first step
        **TINY_RUN,
    )
    train(config)
    rows = log_rows(tmp_path)
    assert [row["step"] for row in rows] == ["1"]
    assert rows[-1]["val_iou"] != ""  # the step that ran out of time validates like a last step
    final = torch.load(tmp_path / "final_ema.pt", map_location="cpu", weights_only=True)
    assert final["step"] == 1 and (tmp_path / "best_ema.pt").is_file() and (tmp_path / "last.pt").is_file()


def test_the_learning_rate_decays_over_the_time_budget() -> None:
    from segmentation.training.trainer import _lr_factor

    config = TrainConfig(max_steps=10_000, warmup_steps=10, time_budget_minutes=5.0)
    assert _lr_factor(20, config, time_used=0.0) == pytest.approx(1.0, abs=1e-4)  # the step count alone: barely begun
    assert _lr_factor(20, config, time_used=0.5) == pytest.approx(0.505, abs=1e-3)  # half the budget: half-way down
    assert _lr_factor(20, config, time_used=1.0) == pytest.approx(0.01)
    assert _lr_factor(5, config, time_used=0.9) == pytest.approx(0.6)  # warm-up is by steps
    assert _lr_factor(9_000, config, time_used=0.0) < 0.1  # steps further along than the clock


@pytest.mark.slow
def test_two_process_ddp_run_on_the_cpu(data_root: Path, tmp_path: Path) -> None:
    flags = [f"--{key.replace('_', '-')}={value}" for key, value in TINY_RUN.items()]
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", "--nproc_per_node=2",
        "-m", "segmentation.training.train",
        f"--run-dir={tmp_path}", f"--label-cache={tmp_path / 'labels'}", f"--data-root={data_root}",
        "--max-steps=2", "--val-every=2", *flags,
    ]  # fmt: skip
    environment = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "best validation IoU" in result.stdout
    rows = log_rows(tmp_path)
    assert [row["step"] for row in rows] == ["1", "2"]  # only rank 0 writes the log
    assert rows[-1]["val_iou"] != ""


def _square_target(size: int = 40, start: int = 15, end: int = 25) -> torch.Tensor:
    target = torch.zeros(1, 1, size, size)
    target[..., start:end, start:end] = 1.0
    return target


def test_boundary_band_marks_pixels_near_the_outline_only() -> None:
    band = boundary_band(_square_target(), band=3)
    # Within 3 px of the 10 px square's edge: the 16 px square around it minus the 4 px square inside it.
    assert int(band.sum()) == 16 * 16 - 4 * 4
    assert band[0, 0, 20, 20] == 0.0  # deep inside
    assert band[0, 0, 2, 2] == 0.0  # far outside
    assert band[0, 0, 15, 20] == 1.0 and band[0, 0, 13, 20] == 1.0  # on and just outside the edge
    assert boundary_band(torch.zeros(1, 1, 8, 8)).sum() == 0.0


def test_loss_decreases_when_optimising_logits_towards_a_mask() -> None:
    target = _square_target()
    logits = torch.zeros_like(target, requires_grad=True)
    optimiser = torch.optim.Adam([logits], lr=0.1)
    losses = []
    for _ in range(60):
        loss = segmentation_loss(logits, target, torch.ones(1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert ((torch.sigmoid(logits) >= 0.5) == (target >= 0.5)).all()


def test_loss_weights_the_outline_and_the_samples() -> None:
    target = _square_target()
    wrong_at_edge = (2 * target - 1) * (4 - 6 * boundary_band(target))  # confident: right inside, wrong on the band
    plain = segmentation_loss(wrong_at_edge, target, torch.ones(1), boundary_weight=0.0, dice_weight=0.0)
    weighted = segmentation_loss(wrong_at_edge, target, torch.ones(1), boundary_weight=2.0, dice_weight=0.0)
    assert weighted > plain  # errors on the outline cost more with the boundary weight
    other = torch.zeros_like(target)
    both = segmentation_loss(torch.cat([wrong_at_edge, other]), torch.cat([target, target]), torch.tensor([1.0, 0.0]))
    assert both == pytest.approx(segmentation_loss(wrong_at_edge, target, torch.ones(1)).item())


def test_parse_config_applies_typed_overrides() -> None:
    config = parse_config(
        ["--backbone", "mobilenet_v2", "--max-steps", "7", "--learning-rate", "0.001", "--run-dir", "out/x", "--resume"]
    )
    assert config.backbone == "mobilenet_v2"
    assert config.max_steps == 7 and isinstance(config.max_steps, int)
    assert config.learning_rate == 0.001
    assert config.run_dir == Path("out/x")
    assert config.resume is True
    assert config.batch_size == TrainConfig().batch_size  # untouched fields keep their defaults
    assert parse_config([]) == TrainConfig()
    zeros = parse_config(["--workers", "0", "--dice-weight", "0", "--seed", "0"])
    assert (zeros.workers, zeros.dice_weight, zeros.seed) == (0, 0.0, 0)  # zero is a value, not "flag absent"
    assert config_to_dict(config)["run_dir"] == "out/x"
    recipe = parse_config(["--lovasz-weight", "0.5", "--consistency-weight", "2", "--mix-hand-labelled", "0.55"])
    assert (recipe.lovasz_weight, recipe.consistency_weight, recipe.mix_hand_labelled) == (0.5, 2.0, 0.55)


def test_a_saved_config_is_a_recipe_that_flags_can_override(tmp_path: Path) -> None:
    """``--config`` reads back what a run wrote (every field, paths relative), and flags given with it win."""
    ran = replace(
        TrainConfig(),
        run_dir=Path("runs/recipe"),
        init="spec:assets/models/greenroom-person-v6.json",
        max_steps=600,
        learning_rate=2e-4,
        sample_scale_steps=0,
        data_pack=Path("runs/pack"),
        resume=True,
    )
    saved = tmp_path / "config.json"
    saved.write_text(json.dumps(config_to_dict(ran)))
    assert config_to_dict(parse_config(["--config", str(saved)])) == config_to_dict(ran)
    overridden = parse_config(["--config", str(saved), "--max-steps", "50", "--data-pack", "elsewhere"])
    assert (overridden.max_steps, overridden.data_pack, overridden.learning_rate) == (50, Path("elsewhere"), 2e-4)
    missing = tmp_path / "old.json"  # a recipe from before a field existed: that field keeps its default
    missing.write_text(json.dumps({"max_steps": 9, "data_pack": None}))
    assert parse_config(["--config", str(missing)]) == replace(TrainConfig(), max_steps=9)


def test_every_committed_training_recipe_loads() -> None:
    recipes = [path for path in (_REPO_ROOT / "docs" / "model").glob("*config.json") if "edges" not in path.name]
    assert len(recipes) >= 10
    for recipe in recipes:
        config = parse_config(["--config", str(recipe)])
        assert config.max_steps == json.loads(recipe.read_text())["max_steps"], recipe.name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"max_steps": 9, "learning_rat": 0.1}', "does not have: learning_rat"),
        ('{"max_steps": "many"}', "max_steps = 'many' is not a valid value"),
        ("[1, 2]", "holds list, not an object"),
        ('{"learning_rate": NaN}', "learning_rate = nan is not a valid value"),
        ("{not json", "cannot be read as JSON"),
    ],
)
def test_a_config_file_that_is_not_a_recipe_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(SystemExit):
        parse_config(["--config", str(path)])
    assert message in capsys.readouterr().err


def test_allocator_hint_only_on_a_linux_cpu_without_tcmalloc() -> None:
    mixed = parse_config(["--sample-scale-min", "0.75", "--sample-scale-max", "1.5"])
    plain = dict(platform="linux", ld_preload="", cuda=False)
    hint = allocator_hint(mixed, **plain)
    assert hint is not None and "make train" in hint and "libtcmalloc-minimal4" in hint and "1.6x" in hint
    one_size = allocator_hint(TrainConfig(), **plain)
    assert one_size is not None and "1.2x" in one_size
    assert allocator_hint(mixed, **{**plain, "ld_preload": "/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"}) is None
    assert allocator_hint(mixed, **{**plain, "cuda": True}) is None
    assert allocator_hint(mixed, **{**plain, "platform": "darwin"}) is None


def test_parse_config_refuses_unknown_flags_and_bad_values(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--no-such-flag", "1"])
    with pytest.raises(SystemExit):
        parse_config(["--max-steps", "many"])
    assert "invalid int value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_config(["--learning-rate", "nan"])
    assert "expected a finite number" in capsys.readouterr().err


def test_unknown_init_is_refused() -> None:
    from segmentation.training.trainer import build_model

    with pytest.raises(ValueError, match="init must be imagenet, voc, none, checkpoint:PATH or spec:PATH"):
        build_model(TrainConfig(init="coco"))


def test_each_process_trains_on_the_gpu_its_local_rank_names(monkeypatch) -> None:
    from segmentation.training.trainer import training_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("RANK", "5")  # the second process of the second node: its GPU is 1, not 5 % count
    assert training_device(world_size=8) == torch.device("cuda", 1)
    assert training_device(world_size=1) == torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert training_device(world_size=8) == torch.device("cpu")


def test_data_workers_keep_up_with_a_gpu_and_leave_the_cpu_to_the_model(monkeypatch) -> None:
    from segmentation.training.trainer import data_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert data_workers(TrainConfig(), torch.device("cpu"), 1) == 1
    assert data_workers(TrainConfig(), torch.device("cuda", 0), 1) == 8
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert data_workers(TrainConfig(), torch.device("cuda", 0), 4) == 3
    assert data_workers(TrainConfig(workers=0), torch.device("cuda", 0), 1) == 0


def test_frozen_batchnorm_keeps_its_statistics_and_still_learns_its_scale() -> None:
    from segmentation.training.trainer import set_training_mode

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Dropout(0.5))
    batch_norm = model[1]
    before = batch_norm.running_mean.clone(), batch_norm.running_var.clone()
    set_training_mode(model, freeze_batchnorm=True)
    assert model.training and model[0].training and model[2].training and not batch_norm.training
    model(torch.rand(2, 3, 8, 8) * 5.0).sum().backward()
    assert torch.equal(batch_norm.running_mean, before[0]) and torch.equal(batch_norm.running_var, before[1])
    assert batch_norm.weight.grad is not None and batch_norm.weight.grad.abs().sum() > 0

    set_training_mode(model, freeze_batchnorm=False)
    assert batch_norm.training
    model(torch.rand(2, 3, 8, 8) * 5.0)
    assert not torch.equal(batch_norm.running_mean, before[0])


@pytest.mark.slow
def test_a_run_with_frozen_batchnorm_keeps_the_starting_statistics(data_root: Path, tmp_path: Path) -> None:
    from segmentation.training.trainer import build_model, train

    config = TrainConfig(
        run_dir=tmp_path, label_cache=tmp_path / "labels", data_root=data_root, max_steps=2, val_every=2, **TINY_RUN
    )
    start = {name: value for name, value in build_model(config).state_dict().items() if "running_" in name}
    for frozen in (True, False):
        train(replace(config, freeze_batchnorm=frozen, run_dir=tmp_path / str(frozen)))
        final = torch.load(tmp_path / str(frozen) / "final_ema.pt", map_location="cpu", weights_only=True)["model"]
        same = all(torch.equal(final[name], value) for name, value in start.items())
        assert same is frozen, f"freeze_batchnorm={frozen}: the running statistics {'changed' if frozen else 'stayed'}"
