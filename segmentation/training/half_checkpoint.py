"""``python -m segmentation.training.half_checkpoint IN.pt OUT.pt``: a run's EMA checkpoint with its weights in
float16.

A run's ``best_ema.pt`` and ``final_ema.pt`` hold float32 weights: 19 MB for the shipped architecture. The shipped
model is float16 whatever the checkpoint holds: ``python -m segmentation.export --checkpoint`` rounds every weight to
float16 before it writes the safetensors and the ONNX graph. So the half copy exports to the same files as the
original, at half the size: the copy to bring back from a machine that trained (``scripts/gpu_train.sh``).

The copy keeps the checkpoint's other entries (step, metrics, config) as they are; integer tensors (BatchNorm's
batch counters) stay integers. It is loaded without unpickling code (``weights_only``), as export loads it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

import torch


def half_checkpoint(source: Path, destination: Path) -> None:
    """Write ``source`` (an EMA checkpoint: a dict whose ``"model"`` maps names to tensors) to ``destination`` with
    its floating-point weights in float16. Raises ``ValueError`` for a file that is not such a checkpoint, and what
    reading or writing the files raises."""
    try:
        state = torch.load(source, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as error:  # not a checkpoint, or damaged
        raise ValueError(f"{source} cannot be read as a training checkpoint ({error})") from None
    weights = state.get("model") if isinstance(state, dict) else None
    if not isinstance(weights, dict) or not weights or not all(torch.is_tensor(value) for value in weights.values()):
        raise ValueError(f"{source} is not a run's EMA checkpoint (best_ema.pt or final_ema.pt): no weights in it")
    halved = {name: value.half() if value.is_floating_point() else value for name, value in weights.items()}
    staging = destination.with_name(destination.name + ".tmp")
    torch.save({**state, "model": halved}, staging)
    os.replace(staging, destination)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.training.half_checkpoint", description=__doc__)
    parser.add_argument("source", type=Path, help="a run's best_ema.pt or final_ema.pt")
    parser.add_argument("destination", type=Path, help="where to write the float16 copy")
    args = parser.parse_args(argv)
    try:
        half_checkpoint(args.source, args.destination)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    before, after = args.source.stat().st_size, args.destination.stat().st_size
    print(f"wrote {args.destination}: {after / 2**20:.1f} MiB (was {before / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
