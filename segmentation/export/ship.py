"""``python -m segmentation.export``: turn a training checkpoint (or shipped weights) into the shipped model files.

Writes ``NAME.safetensors`` (float16), ``NAME.onnx`` (opset 17) and ``NAME.json`` (the spec with both SHA-256s)
into ``--out`` once ONNX Runtime agrees with torch on real frames; when the check fails it writes nothing there and
exits 1. From a ``--spec`` that names an edge refiner, the refiner's file is copied along (it was trained for this
network's masks); a checkpoint's spec names none (train one with ``python -m segmentation.training.edge_refiner``).

``--onnx-precision`` picks what ``NAME.onnx`` computes in: ``float32`` (checked to agree with torch within 1e-3 in
probability), ``int8``, ``int8-backbone`` or ``int8-late`` (static quantisation calibrated on
``--calibration-images``, checked by mask IoU against torch; ``onnx_file.quantize_int8`` says what each covers).
Calibration and the check only use images outside the held-out validation split (the split rule training uses), so
held-out scores of a quantised model stay held out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from segmentation.export.onnx_file import INPUT_NAME, export_onnx, max_probability_difference, quantize_int8
from segmentation.inference.preprocess import resize_for_model, sigmoid, to_nchw_float
from segmentation.metrics import iou
from segmentation.model import ArchitectureConfig, DeepLabV3Plus
from segmentation.training.config import TrainConfig
from segmentation.training.sources import is_validation, read_rgb
from segmentation.weights import (
    ASSETS_MODELS_DIR,
    DEFAULT_MODEL_NAME,
    ONNX_PRECISIONS,
    ModelSpec,
    build_model_from_spec,
    load_spec,
    save_weights,
    sha256_of,
    verified_file,
    write_spec,
)

_AGREEMENT_TOLERANCE = 1e-3  # float32 graph: largest probability difference to torch
_INT8_MIN_MASK_IOU = 0.97  # quantised graph: smallest mean mask IoU against torch on the check frames
_CALIBRATION_FRAMES = 16


def _model_from_checkpoint(path: Path) -> tuple[DeepLabV3Plus, dict]:
    """A float32 eval model from a training checkpoint (``best_ema.pt``), plus the checkpoint's metadata."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = DeepLabV3Plus(ArchitectureConfig.from_training_config(state["config"]))
    model.load_state_dict(state["model"], strict=True)
    # Round-trip through float16 so ONNX and torch see exactly the numbers the safetensors file stores.
    model.load_state_dict(
        {key: value.half().float() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    )
    return model.eval(), state


def _frames(folder: Path | None, limit: int) -> list[np.ndarray]:
    """Up to ``limit`` (H, W, 3) uint8 RGB frames (long side <= 1280) from ``folder``'s .jpg files, in name order,
    leaving out the held-out validation split; four random frames when no folder is given."""
    if folder is None:
        rng = np.random.default_rng(0)
        return [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(4)]
    paths = [path for path in sorted(folder.glob("*.jpg")) if not is_validation(path.stem, TrainConfig.val_fraction)]
    return [read_rgb(path, 1280) for path in paths[:limit]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.export", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", type=Path, help="training checkpoint with EMA weights (best_ema.pt)")
    source.add_argument("--spec", type=Path, help="re-export from an existing spec + safetensors")
    parser.add_argument("--name", default=DEFAULT_MODEL_NAME)
    parser.add_argument("--out", type=Path, help="output folder (default: assets/models, or the --spec's folder)")
    parser.add_argument("--metrics", type=Path, help="JSON file of measured metrics to store in the spec")
    parser.add_argument(
        "--calibration-images",
        type=Path,
        help="folder of .jpg frames for the agreement check and int8 calibration; held-out photos are skipped",
    )
    parser.add_argument(
        "--onnx-precision",
        choices=ONNX_PRECISIONS,
        help="what NAME.onnx computes in (default: float32, or what --spec states)",
    )
    args = parser.parse_args(argv)

    if args.checkpoint:
        model, state = _model_from_checkpoint(args.checkpoint)
        metrics = {key: round(float(value), 4) for key, value in state.get("metrics", {}).items()}
        spec = ModelSpec(name=args.name, architecture=model.config, weights_file="", weights_sha256="", metrics=metrics)
        spec_folder = None
    else:
        spec_path = args.spec or ASSETS_MODELS_DIR / f"{args.name}.json"
        spec, spec_folder = load_spec(spec_path), spec_path.parent
        model = build_model_from_spec(spec, spec_folder)
    spec = replace(spec, onnx_precision=args.onnx_precision or spec.onnx_precision)
    if spec.onnx_precision != "float32" and args.calibration_images is None:
        parser.error(f"--onnx-precision {spec.onnx_precision} needs --calibration-images (a folder of real frames)")
    frames = _frames(args.calibration_images, 2 * _CALIBRATION_FRAMES)
    if not frames:
        parser.error(f"--calibration-images {args.calibration_images} has no .jpg outside the held-out split")
    if args.metrics:
        spec = replace(spec, metrics={**spec.metrics, **json.loads(args.metrics.read_text())})
    out = args.out or spec_folder or ASSETS_MODELS_DIR
    out.mkdir(parents=True, exist_ok=True)
    # Everything is written to a staging folder beside the target and moved in only when the check passes, so a
    # failed export never leaves a spec that names an unchecked graph (or half-replaced files) in ``out``.
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as staging_name:
        staging = Path(staging_name)
        if spec_folder is None or out.resolve() != spec_folder.resolve():
            spec = save_weights(model, spec, staging)
            if spec_folder is not None and spec.refiner_file:  # the same network: its edge refiner goes with it
                refiner = verified_file(spec_folder / spec.refiner_file, spec.refiner_sha256, "edge refiner")
                shutil.copyfile(refiner, staging / spec.refiner_file)
        onnx_path = staging / f"{spec.name}.onnx"
        if not _export_and_check(model, spec.onnx_precision, onnx_path, frames):
            print(f"error: the export failed its check; nothing was written to {out}", file=sys.stderr)
            return 1
        spec = replace(spec, onnx_file=onnx_path.name, onnx_sha256=sha256_of(onnx_path))
        write_spec(spec, staging)
        for staged in sorted(staging.iterdir()):
            os.replace(staged, out / staged.name)
    print(f"wrote {out / spec.weights_file}, {onnx_path.name} ({spec.onnx_precision}), {spec.name}.json")
    return 0


def _export_and_check(model: DeepLabV3Plus, precision: str, onnx_path: Path, frames: list[np.ndarray]) -> bool:
    """Write ``onnx_path`` at ``precision`` (int8 kinds calibrated on the first frames) and check it against torch
    on ``frames`` (for int8 kinds, on frames not used for calibration); True when the check passes."""
    if precision == "float32":
        export_onnx(model, onnx_path)
        return _float32_agrees(model, onnx_path, frames[:8])
    with tempfile.TemporaryDirectory() as scratch:
        float32_path = export_onnx(model, Path(scratch) / "float32.onnx")
        quantize_int8(float32_path, onnx_path, frames[:_CALIBRATION_FRAMES], precision=precision)
    return _quantised_agrees(model, onnx_path, frames[_CALIBRATION_FRAMES:] or frames)


def _float32_agrees(model: DeepLabV3Plus, onnx_path: Path, frames: list[np.ndarray]) -> bool:
    """Print and check the largest probability difference between ONNX Runtime and torch on ``frames``."""
    worst = max_probability_difference(model, onnx_path, [to_nchw_float(resize_for_model(f)) for f in frames])
    print(f"ONNX Runtime vs torch: max probability difference {worst:.2e} on {len(frames)} frames")
    if worst > _AGREEMENT_TOLERANCE:
        print(f"error: ONNX and torch disagree by more than {_AGREEMENT_TOLERANCE}", file=sys.stderr)
        return False
    return True


def _quantised_agrees(model: DeepLabV3Plus, onnx_path: Path, frames: list[np.ndarray]) -> bool:
    """Print and check the mean mask IoU (at 0.5) of the quantised graph against float32 torch on ``frames``."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    model = model.float().eval()
    agreements = []
    with torch.no_grad():
        for frame in frames:
            batch = to_nchw_float(resize_for_model(frame))
            expected = sigmoid(model(torch.from_numpy(batch)).numpy()[0, 0])
            actual = sigmoid(session.run(None, {INPUT_NAME: batch})[0][0, 0])
            agreements.append(iou(actual, expected))
    mean = float(np.mean(agreements))
    print(
        f"ONNX Runtime (quantised) vs torch float32: mean mask IoU {mean:.4f}, lowest {min(agreements):.4f} "
        f"on {len(frames)} frames not used for calibration"
    )
    if mean < _INT8_MIN_MASK_IOU:
        print(f"error: the quantised model's masks agree with torch below IoU {_INT8_MIN_MASK_IOU}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
