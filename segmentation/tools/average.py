"""``python -m segmentation.tools.average``: average the weights of checkpoints of one architecture (a "model soup").

Runs fine-tuned from the same starting point stay in one basin of the loss, so the mean of their weights is a model
of its own, often better than each (Wortsman et al., 2022). Reads training checkpoints: ``best_ema.pt`` (its EMA
weights) or a resumable ``last.pt`` (its EMA, with the architecture from the ``config.json`` beside it). Writes a
``best_ema.pt``-style checkpoint that ``segmentation.export --checkpoint`` accepts, with the validation metrics of
the average when ``--validate`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from segmentation.architecture import ArchitectureConfig

_EMA_COUNTER = "n_averaged"  # AveragedModel's step counter, not a weight


def ema_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """(state dict of the EMA model, training config) from a ``best_ema.pt`` or a ``last.pt``."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "ema" in state:  # last.pt: AveragedModel state, keys prefixed by "module."
        weights = {key.removeprefix("module."): value for key, value in state["ema"].items() if key != _EMA_COUNTER}
        config_path = path.parent / "config.json"
        if not config_path.is_file():
            raise ValueError(f"{path} is a last.pt without the run's config.json beside it")
        return weights, json.loads(config_path.read_text())
    if "model" in state and "config" in state:
        return state["model"], state["config"]
    raise ValueError(f"{path} is neither a best_ema.pt nor a last.pt checkpoint")


def average_weights(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of state dicts with the same keys and shapes; integer buffers come from the first."""
    if not states:
        raise ValueError("nothing to average")
    keys = set(states[0])
    for state in states[1:]:
        if set(state) != keys:
            raise ValueError("the checkpoints hold different architectures (their weight names differ)")
        for key in keys:
            if state[key].shape != states[0][key].shape:
                raise ValueError(f"the checkpoints hold different architectures ({key} differs in shape)")
    averaged = {}
    for key, first in states[0].items():
        if first.is_floating_point():
            total = torch.stack([state[key].double() for state in states]).sum(dim=0)
            averaged[key] = (total / len(states)).to(first.dtype)
        else:
            averaged[key] = first.clone()
    return averaged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.tools.average", description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", type=Path, nargs="+", help="best_ema.pt or last.pt files (two or more)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the averaged checkpoint")
    parser.add_argument("--validate", action="store_true", help="score the average on the held-out photos")
    args = parser.parse_args(argv)
    if len(args.checkpoints) < 2:
        parser.error("give at least two checkpoints to average")
    missing = [str(path) for path in args.checkpoints if not path.is_file()]
    if missing:
        parser.error(f"no such checkpoint: {', '.join(missing)}")
    try:
        loaded = [ema_weights(path) for path in args.checkpoints]
        if len({ArchitectureConfig.from_training_config(config) for _, config in loaded}) != 1:
            raise ValueError("the checkpoints were trained with different architectures")
        weights = average_weights([state for state, _ in loaded])
    except ValueError as problem:
        parser.error(str(problem))
    config = loaded[0][1]
    metrics: dict[str, float] = {}
    if args.validate:
        metrics = _validate(weights, config)
        print(f"average of {len(loaded)}: val IoU {metrics['val_iou']:.4f}, boundary F {metrics['val_boundary_f']:.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sources = [str(path) for path in args.checkpoints]
    torch.save({"model": weights, "step": 0, "metrics": metrics, "config": config, "averaged": sources}, args.out)
    print(f"wrote {args.out}")
    return 0


def _validate(weights: dict[str, torch.Tensor], config: dict) -> dict[str, float]:
    """The trainer's validation (held-out photos at the app's input size) of ``weights``."""
    from segmentation.model import DeepLabV3Plus
    from segmentation.training.material import web_photo_split
    from segmentation.training.validation import validate

    model = DeepLabV3Plus(ArchitectureConfig.from_training_config(config))
    model.load_state_dict(weights, strict=True)
    _, photos = web_photo_split(
        Path(config["data_root"]),
        float(config["val_fraction"]),
        int(config["max_image_side"]),
        skip_reviewed=bool(config.get("skip_reviewed_labels", True)),
    )
    return validate(model, photos, torch.device("cpu"))


if __name__ == "__main__":
    sys.exit(main())
