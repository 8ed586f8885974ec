"""Typed training configuration with command-line overrides (every field is a ``--flag``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from segmentation.data_root import default_data_root

_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TrainConfig:
    """All knobs of one training run; saved next to its checkpoints so a run can be reproduced."""

    run_dir: Path = _REPO_ROOT / "runs" / "train"
    data_root: Path = dataclasses.field(default_factory=default_data_root)
    backbone: str = "efficientnet_lite0"
    # imagenet | voc (mobilenet_v2 only) | none | checkpoint:PATH (fine-tune a best_ema.pt) | spec:PATH (fine-tune a
    # shipped model: its spec .json, the safetensors beside it)
    init: str = "imagenet"
    output_stride: int = 16
    aspp_channels: int = 128
    decoder_channels: int = 128
    sample_width: int = 256
    sample_height: int = 144
    portrait_fraction: float = 0.0
    # Mixed input sizes: each batch's sample size is scaled by a factor drawn from [min, max] (1, 1: one size).
    sample_scale_min: float = 1.0
    sample_scale_max: float = 1.0
    # N > 1: the scale is one of N evenly spaced values in [min, max] (few input shapes, each of which costs seconds of
    # cuDNN set-up on a GPU the first time); 0: any value.
    sample_scale_steps: int = 0
    batch_size: int = 16
    max_steps: int = 4000
    warmup_steps: int = 200
    learning_rate: float = 2e-3
    backbone_lr_factor: float = 0.5
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    ema_decay: float = 0.998
    boundary_weight: float = 2.0
    dice_weight: float = 0.5
    lovasz_weight: float = 0.0  # Lovasz hinge, a direct surrogate of IoU
    consistency_weight: float = 0.0  # twin-frame consistency (flicker); 0 turns it off
    consistency_samples: int = 8  # how many samples of each batch get a re-captured twin
    # Temporal term (losses.temporal_loss) on pairs of consecutive RVM-labelled footage frames (temporal.py): each
    # batch adds temporal_pairs pairs, one pair starting at every temporal_pair_every-th labelled frame of a training
    # clip (labelled as footage_* says, whether or not footage frames are trained on); weight 0 turns it off.
    temporal_weight: float = 0.0
    temporal_pairs: int = 4
    temporal_pair_every: int = 3
    mix_hand_labelled: float = 0.4  # relative frequency of each kind of sample (see dataset.MixtureWeights)
    mix_teacher_labelled: float = 0.2
    mix_composite: float = 0.3
    mix_negative: float = 0.1
    crop_min_area: float = 0.35  # smallest crop, as a fraction of the largest window of the sample's aspect
    occluder_probability: float = 0.0  # share of samples with people that get a pasted object (augment.paste_occluder)
    screen_probability: float = 0.0  # share of samples with people whose body is hidden below the head (screens.py)
    teacher_weight: float = 0.5
    val_fraction: float = 0.2
    skip_reviewed_labels: bool = True  # leave out the hand masks found wrong (training/label_review.py)
    val_every: int = 250
    checkpoint_minutes: float = 5.0
    # Wall-clock budget of the run (a leased GPU's minutes): at the first step past it the run validates, saves and
    # stops as if it had reached max_steps. 0: no budget.
    time_budget_minutes: float = 0.0
    workers: int = -1  # data loader processes; -1: one on the CPU, up to 8 per GPU (trainer.data_workers)
    sync_batchnorm: bool = False  # several GPUs: BatchNorm statistics over all processes' samples (SyncBatchNorm)
    # Fine-tuning: keep the starting model's BatchNorm running statistics (the layers normalise as at inference; their
    # scale and shift still learn). Otherwise the run's mixture moves them; on v6's recipe freezing them did not keep a
    # fine-tune's held-out photo IoU (the model card, Tried after v6).
    freeze_batchnorm: bool = False
    threads: int = 2
    seed: int = 0
    resume: bool = False
    distill_every_nth_frame: int = 6
    # Which teacher labels the synthetic people, the video frames and the non-demo videos: mediapipe (the masks in
    # the data folder) or rvm (training/rvm_teacher.py, computed once into label_cache).
    teacher: str = "mediapipe"
    # RVM-labelled webcam footage (training/rvm_teacher.py, material.FootageLabelling): RVM runs on every
    # footage_frame_step-th of a clip's first footage_max_frames frames at footage_max_side px, and every
    # footage_every_nth_frame-th labelled frame is trained on at loss weight footage_weight; 0 leaves footage out.
    footage_every_nth_frame: int = 0
    footage_frame_step: int = 2
    footage_max_frames: int = 400
    footage_max_side: int = 384
    footage_weight: float = 1.0
    footage_stills_weight: float = 0.0  # the footage's photos with RVM's still alpha; 0 leaves them out
    clutter_probability: float = 0.0  # share of samples with a hard negative drawn behind the people (clutter.py)
    # share of the copy-paste composites whose person is small and far back in the room (augment.paste_distant_person)
    distant_person_probability: float = 0.0
    label_cache: Path = _REPO_ROOT / "runs" / "label_cache"  # teacher labels, computed once and shared by runs
    data_pack: Path | None = None  # train from a compact copy of the material (training/pack.py) instead
    max_image_side: int = 640


def _finite_float(text: str) -> float:
    """A float setting: NaN or an infinity would train garbage without saying so."""
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _parse_bool(text: str) -> bool:
    if text.lower() in {"1", "true", "yes", "on"}:
        return True
    if text.lower() in {"0", "false", "no", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected true/false, got {text!r}")


def parse_config(argv: list[str] | None = None) -> TrainConfig:
    """Build a ``TrainConfig`` from defaults, overridden by the values of ``--config FILE`` (a run's ``config.json``,
    as ``config_to_dict`` writes it, such as the recipes in ``docs/model/*-config.json``) where given, overridden in
    turn by ``--field value`` flags (``--resume`` is a switch). A key of the file that is no field of the config is
    an error: a recipe must not silently lose a setting."""
    parser = argparse.ArgumentParser(prog="python -m segmentation.training", description="Train the person segmenter.")
    parser.add_argument(
        "--config", type=Path, default=None, help="a run's config.json: its values, then the flags given over them"
    )
    kinds: dict[str, Callable[[str], object]] = {}
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "resume":
            parser.add_argument(flag, action="store_true", help="continue from run_dir/last.pt")
            continue
        kind = {"int": int, "float": _finite_float, "str": str, "bool": _parse_bool, "Path": Path, "Path | None": Path}[
            field.type if isinstance(field.type, str) else field.type.__name__
        ]
        kinds[field.name] = cast(Callable[[str], object], kind)
        parser.add_argument(flag, type=kinds[field.name], default=None, help=f"(default: {_default_text(field)})")
    parsed = vars(parser.parse_args(argv))
    config_file = parsed.pop("config")
    values = _config_file_values(config_file, kinds, parser) if config_file is not None else {}
    # Identity tests: ``0 in (None, False)`` is True, which would silently drop ``--workers 0`` and other zeros.
    values.update({key: value for key, value in parsed.items() if value is not None and value is not False})
    return TrainConfig(**values)


def _config_file_values(
    path: Path, kinds: dict[str, Callable[[str], object]], parser: argparse.ArgumentParser
) -> dict[str, Any]:
    """The settings of the JSON config file at ``path``, each converted as its flag would be (``parser.error`` for
    a file that cannot be read, is not a JSON object, or names a setting that does not exist)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        parser.error(f"--config {path} cannot be read as JSON ({error})")
    if not isinstance(stored, dict):
        parser.error(f"--config {path} holds {type(stored).__name__}, not an object of settings")
    unknown = sorted(set(stored) - set(kinds) - {"resume"})
    if unknown:
        parser.error(f"--config {path} names settings that training does not have: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, value in stored.items():
        if value is None:
            continue  # the field's default (None where the file has null)
        try:
            values[key] = _parse_bool(str(value)) if key == "resume" else kinds[key](str(value))
        except (ValueError, argparse.ArgumentTypeError) as error:
            parser.error(f"--config {path}: {key} = {value!r} is not a valid value ({error})")
    return values


def _default_text(field: dataclasses.Field) -> str:
    if field.default_factory is not dataclasses.MISSING:
        return str(field.default_factory())
    return str(field.default)


def config_to_dict(config: TrainConfig) -> dict[str, object]:
    """JSON-friendly dict of the config; paths relative to the working directory, so a saved config names no
    machine-specific folder."""
    return {
        key: os.path.relpath(value) if isinstance(value, Path) else value
        for key, value in dataclasses.asdict(config).items()
    }
