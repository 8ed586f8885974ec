"""The compact data pack: written from the material, read back the same (downscaled), and trained from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from segmentation.training.dataset import TrainingMaterial
from segmentation.training.pack import read_pack, write_pack
from segmentation.training.sources import LabelledImage


def _material() -> tuple[TrainingMaterial, list[LabelledImage]]:
    rng = np.random.default_rng(0)
    mask = np.zeros((300, 400), np.float32)
    mask[60:280, 150:250] = 1.0
    photo = LabelledImage("photo", rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), mask, soft=False)
    soft = np.tile(np.linspace(0, 1, 320, dtype=np.float32), (180, 1))  # a soft ramp: teacher alpha
    frame = LabelledImage("frame", rng.integers(0, 256, (180, 320, 3), dtype=np.uint8), soft, True, 0.8)
    cutout = (rng.integers(0, 256, (240, 100, 3), dtype=np.uint8), np.full((240, 100), 0.5, np.float32))
    background = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    smooth = np.stack([np.tile(ramp, (480, 1)), np.tile(ramp[::-1], (480, 1)), np.full((480, 640), 90.0)], axis=2)
    validation = [LabelledImage("held", smooth.astype(np.uint8), np.zeros((480, 640), np.float32), False)]
    return TrainingMaterial([photo], [frame], [cutout], [background]), validation


def test_a_pack_reads_back_what_was_written_downscaled(tmp_path: Path) -> None:
    material, validation = _material()
    write_pack(material, validation, tmp_path / "pack", max_side=160)
    packed, packed_validation = read_pack(tmp_path / "pack")
    (photo,) = packed.hand_labelled
    assert photo.name == "photo" and not photo.soft and photo.weight is None
    assert photo.rgb.shape == (120, 160, 3) and photo.mask.shape == (120, 160)
    assert photo.mask.min() == 0.0 and photo.mask.max() == 1.0
    assert abs(float(photo.mask.mean()) - float(material.hand_labelled[0].mask.mean())) < 0.01
    (frame,) = packed.teacher_labelled
    assert frame.soft and frame.weight == 0.8 and frame.rgb.shape == (90, 160, 3)
    assert np.abs(frame.mask[0] - np.linspace(0, 1, 160)).max() < 0.02  # the soft ramp survives, not thresholded
    (cutout,) = packed.cutouts
    assert cutout[0].shape == (160, 67, 3) and cutout[1].shape == (160, 67)
    assert np.abs(cutout[1] - 0.5).max() < 1 / 255 + 1e-6
    assert packed.backgrounds[0].shape == (90, 160, 3)
    (held,) = packed_validation
    assert held.name == "held" and held.rgb.shape == (480, 640, 3)  # validation keeps its size
    assert np.abs(held.rgb.astype(int) - validation[0].rgb.astype(int)).mean() < 3


def test_a_folder_that_is_not_a_pack_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a data pack"):
        read_pack(tmp_path)


@pytest.mark.slow
def test_training_runs_from_a_pack_alone(tmp_path: Path) -> None:
    from segmentation.training.config import TrainConfig
    from segmentation.training.trainer import train

    material, validation = _material()
    write_pack(material, validation, tmp_path / "pack", max_side=160)
    config = TrainConfig(
        run_dir=tmp_path / "run",
        data_root=tmp_path / "no-data-folder",  # nothing is read from a data folder
        data_pack=tmp_path / "pack",
        init="none",
        batch_size=2,
        workers=0,
        threads=1,
        max_steps=2,
        val_every=2,
    )
    best = train(config)
    assert 0.0 <= best["val_iou"] <= 1.0 and (tmp_path / "run" / "best_ema.pt").is_file()


@pytest.mark.slow
def test_the_gpu_training_script_trains_from_a_pack_and_brings_back_float16_checkpoints(tmp_path: Path) -> None:
    """``scripts/gpu_train.sh`` end to end on the CPU: recipe file, pack, flags over the recipe, float16 copies."""
    import json
    import os
    import subprocess
    import sys

    import torch

    from segmentation.training.config import TrainConfig, config_to_dict

    material, validation = _material()
    write_pack(material, validation, tmp_path / "pack", max_side=160)
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps(config_to_dict(TrainConfig(init="none", batch_size=2, max_steps=500))))
    out = tmp_path / "out"
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "GREENROOM_TRAIN_ON_CPU": "1", "PYTHON": sys.executable, "OUT": str(out)}
    environment["TMPDIR"] = str(tmp_path)
    flags = ["--workers", "0", "--threads", "1", "--max-steps", "2", "--val-every", "2"]
    command = ["bash", "scripts/gpu_train.sh", str(recipe), str(tmp_path / "pack"), "1", *flags]
    result = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:]
    assert {path.name for path in out.iterdir()} == {
        "log.txt",
        "config.json",
        "log.csv",
        "curves.png",
        "best_ema_fp16.pt",
        "final_ema_fp16.pt",
    }
    ran = json.loads((out / "config.json").read_text())
    assert (ran["max_steps"], ran["batch_size"], ran["sample_scale_steps"]) == (2, 2, 3)  # flags, recipe, script
    weights = torch.load(out / "best_ema_fp16.pt", weights_only=True)["model"]
    assert {value.dtype for value in weights.values()} <= {torch.float16, torch.int64}

    missing = subprocess.run(
        [*command[:3], str(tmp_path / "no-pack"), *command[4:]],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "is not a data pack" in missing.stdout
