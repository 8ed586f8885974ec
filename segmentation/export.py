"""``python -m segmentation.export``: turn a training checkpoint (or shipped weights) into the shipped model files.

Writes ``NAME.safetensors`` (float16), ``NAME.onnx`` (opset 17) and ``NAME.json`` (the spec with both SHA-256s)
into ``--out``, then checks ONNX Runtime against torch on real frames. ``--int8`` also writes ``NAME.int8.onnx``
(static quantisation calibrated on ``--calibration-images``) and reports how much IoU it costs.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from segmentation.inference.preprocess import resize_for_model, to_nchw_float
from segmentation.metrics import iou
from segmentation.model import ArchitectureConfig, DeepLabV3Plus
from segmentation.onnx_export import export_onnx, max_probability_difference, quantize_int8
from segmentation.training.sources import read_rgb
from segmentation.weights import (
    ASSETS_MODELS_DIR,
    DEFAULT_MODEL_NAME,
    ModelSpec,
    build_model_from_spec,
    load_spec,
    save_weights,
    sha256_of,
    write_spec,
)

_AGREEMENT_TOLERANCE = 1e-3


def _model_from_checkpoint(path: Path) -> tuple[DeepLabV3Plus, dict]:
    """A float32 eval model from a training checkpoint (``best_ema.pt``), plus the checkpoint's metadata."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    config = state["config"]
    architecture = ArchitectureConfig(
        backbone=config["backbone"],
        output_stride=int(config["output_stride"]),
        aspp_channels=int(config["aspp_channels"]),
        decoder_channels=int(config["decoder_channels"]),
    )
    model = DeepLabV3Plus(architecture)
    model.load_state_dict(state["model"], strict=True)
    # Round-trip through float16 so ONNX and torch see exactly the numbers the safetensors file stores.
    model.load_state_dict(
        {key: value.half().float() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    )
    return model.eval(), state


def _frames(folder: Path | None, limit: int) -> list[np.ndarray]:
    if folder is None:
        rng = np.random.default_rng(0)
        return [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(4)]
    return [read_rgb(path, 1280) for path in sorted(folder.glob("*.jpg"))[:limit]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.export", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--checkpoint", type=Path, help="training checkpoint with EMA weights (best_ema.pt)")
    source.add_argument("--spec", type=Path, help="re-export from an existing spec + safetensors")
    parser.add_argument("--name", default=DEFAULT_MODEL_NAME)
    parser.add_argument("--out", type=Path, default=ASSETS_MODELS_DIR)
    parser.add_argument("--metrics", type=Path, help="JSON file of measured metrics to store in the spec")
    parser.add_argument("--calibration-images", type=Path, help="folder of .jpg frames (agreement check, int8)")
    parser.add_argument("--int8", action="store_true", help="also write a static int8 model and report its IoU loss")
    parser.add_argument(
        "--int8-backbone-only", action="store_true", help="with --int8: quantise the backbone, keep the rest float32"
    )
    args = parser.parse_args(argv)

    if args.checkpoint:
        model, state = _model_from_checkpoint(args.checkpoint)
        metrics = {key: round(float(value), 4) for key, value in state.get("metrics", {}).items()}
        spec = ModelSpec(name=args.name, architecture=model.config, weights_file="", weights_sha256="", metrics=metrics)
        spec = save_weights(model, spec, args.out)
    else:
        spec_path = args.spec or ASSETS_MODELS_DIR / f"{args.name}.json"
        spec = load_spec(spec_path)
        model = build_model_from_spec(spec, spec_path.parent)
        args.out = spec_path.parent
    if args.metrics:
        spec = replace(spec, metrics={**spec.metrics, **json.loads(args.metrics.read_text())})

    onnx_path = export_onnx(model, args.out / f"{spec.name}.onnx")
    spec = replace(spec, onnx_file=onnx_path.name, onnx_sha256=sha256_of(onnx_path))
    write_spec(spec, args.out)
    frames = _frames(args.calibration_images, 32)
    worst = max_probability_difference(model, onnx_path, [to_nchw_float(resize_for_model(f)) for f in frames[:8]])
    print(f"wrote {args.out / spec.weights_file}, {onnx_path.name}, {spec.name}.json")
    print(f"ONNX Runtime vs torch: max probability difference {worst:.2e} on {min(8, len(frames))} frames")
    if worst > _AGREEMENT_TOLERANCE:
        print(f"error: ONNX and torch disagree by more than {_AGREEMENT_TOLERANCE}", file=sys.stderr)
        return 1
    if args.int8:
        _report_int8(onnx_path, args.out / f"{spec.name}.int8.onnx", frames, backbone_only=args.int8_backbone_only)
    return 0


def _report_int8(fp32_path: Path, int8_path: Path, frames: list[np.ndarray], *, backbone_only: bool = False) -> None:
    """Quantise on the first half of ``frames``; print mean IoU of int8 vs float32 masks on the other half."""
    import onnxruntime as ort

    from segmentation.inference.preprocess import sigmoid

    half = max(1, len(frames) // 2)
    quantize_int8(fp32_path, int8_path, frames[:half], backbone_only=backbone_only)
    sessions = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (fp32_path, int8_path)]
    agreements = []
    for frame in frames[half:] or frames:
        batch = to_nchw_float(resize_for_model(frame))
        fp32, int8 = (sigmoid(session.run(None, {"rgb": batch})[0][0, 0]) for session in sessions)
        agreements.append(iou(int8, fp32))
    print(
        f"int8: wrote {int8_path.name}; mask IoU int8 vs float32 {np.mean(agreements):.4f} "
        f"(IoU loss {1 - np.mean(agreements):.4f}) on {len(agreements)} held-out frames"
    )


if __name__ == "__main__":
    sys.exit(main())
