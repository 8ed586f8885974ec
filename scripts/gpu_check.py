"""The CUDA path's figures in one table: ``python scripts/gpu_check.py [--device cuda|cpu] [--json FILE]``.

Run by ``scripts/gpu_check.sh`` on a machine with an NVIDIA GPU (``--device cpu`` runs the same measurements on the
CPU, short, to check the script itself). Measures, with the shipped model:

- fp16 against fp32 on frames of the demo clip at each input size of the adaptive ladder: mask IoU (lowest over the
  frames), largest probability difference, whether every value is finite;
- the first call at each ladder size after ``load_segmenter`` (which autotunes and captures those sizes), eager and
  graphed: what a stream's first frame at that size costs;
- one model call (float32 batch in, logits out) at 720p's and 1080p's default input, eager and graphed;
- ``seg(rgb)`` on the same frames with the person shrunk to 40% (graphed; the second look at a small person runs,
  its crop eagerly unless the crop's input happens to have a ladder size, the only ones with a captured graph);
- ``seg(rgb)`` and the render thread's whole step (segment, refine, composite with a blurred background) on 720p
  and 1080p frames, with the full-resolution work (upsampling, blur, compositing) in torch on the GPU and, for
  comparison, in OpenCV on the CPU (on ``--device cpu`` both rows are the OpenCV path);
- ``greenroom process`` of 300 frames of the demo clip scaled to 720p and 1080p, on this device and on the CPU.

Medians of ``RUNS`` calls after warm-up; GPU times are taken after ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from app.assets import demo_clip
from app.bench import upscaled_clip
from app.engine.quality import LADDER_BUDGETS
from app.engine.renderer import FrameRenderer
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings
from segmentation import Backend, BackendInfo, Device, Precision, Segmenter, load_segmenter, model_input_size
from segmentation.inference.backends import TorchBackend
from segmentation.inference.preprocess import resize_for_model, sigmoid, to_nchw_float
from segmentation.tools.bench import distant_person_frame
from segmentation.weights import build_model_from_spec, default_spec_path, load_spec

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}


def _median_ms(call: Callable[[], object], synchronise: Callable[[], None], runs: int, warm_up: int) -> float:
    for _ in range(warm_up):
        call()
    synchronise()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        synchronise()
        times.append((time.perf_counter() - start) * 1e3)
    return round(statistics.median(times), 3)


def demo_frames(count: int) -> list[np.ndarray]:
    """``count`` frames spread over the demo clip, (H, W, 3) uint8 RGB."""
    capture = cv2.VideoCapture(str(demo_clip()))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 600
    frames = []
    for index in np.linspace(0, total - 1, count).astype(int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, bgr = capture.read()
        if ok:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def agreement(half, full, frames: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """fp16 against fp32 at each ladder budget (16:9 frames)."""
    rows = {}
    for budget in LADDER_BUDGETS:
        ious, differences, finite = [], [], True
        for frame in frames:
            batch = to_nchw_float(resize_for_model(frame, budget))
            low, high = half.run_batch(batch)[0, 0], full.run_batch(batch)[0, 0]
            finite &= bool(np.isfinite(low).all())
            p_half, p_full = sigmoid(low), sigmoid(high)
            m_half, m_full = p_half >= 0.5, p_full >= 0.5
            ious.append(float((m_half & m_full).sum() / max(1, (m_half | m_full).sum())))
            differences.append(float(np.abs(p_half - p_full).max()))
        width, height = model_input_size(1280, 720, budget)
        rows[f"{width}x{height}"] = {"min_iou": min(ious), "max_dprob": max(differences), "finite": finite}
    return rows


def first_calls(device: str, *, cuda_graph: bool) -> dict[str, float]:
    """ms of the first call at each ladder size of a freshly loaded segmenter (16:9 frames)."""
    segmenter = load_segmenter(device=device, cuda_graph=cuda_graph, warm_up_budgets=LADDER_BUDGETS)
    frame = demo_frames(1)[0]
    times = {}
    for budget in LADDER_BUDGETS:
        width, height = model_input_size(1280, 720, budget)
        start = time.perf_counter()
        segmenter.infer(frame, budget)
        times[f"{width}x{height}"] = round((time.perf_counter() - start) * 1e3, 1)
    return times


def torch_segmenter(device: str, precision: Precision) -> Segmenter:
    """The shipped model through the torch backend on ``device`` in ``precision``, eager (float16 on the CPU is slow
    but computes what the GPU would, for checking the numbers)."""
    spec_path = default_spec_path()
    spec = load_spec(spec_path)
    model = build_model_from_spec(spec, spec_path.parent)
    backend = TorchBackend(model, device=Device(device), precision=precision, cuda_graph=False)
    return Segmenter(backend, BackendInfo(Backend.TORCH, Device(device), precision, spec.name))


def process_fps(device: str, clip: Path, output: Path) -> float | None:
    """``greenroom process`` end-to-end fps on ``clip`` (blur background), or None if it failed."""
    command = [sys.executable, "-m", "app.cli", "process", str(clip), str(output), "--device", device]
    result = subprocess.run([*command, "--background", "blur"], capture_output=True, text=True, timeout=300)
    found = re.search(r"([0-9.]+) fps end to end", result.stdout)
    if result.returncode != 0 or found is None:
        print(f"process on {device} failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return float(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--process-frames", type=int, default=300)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    import torch

    device = args.device
    synchronise = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    results: dict[str, object] = {"device": device, "torch": torch.__version__, "cuda": torch.version.cuda}
    if device == "cuda":
        results["gpu"] = torch.cuda.get_device_name(0)
    frames = demo_frames(6 if device == "cuda" else 2)

    half = torch_segmenter(device, Precision.FLOAT16)
    full = torch_segmenter(device, Precision.FLOAT32)
    results["fp16_vs_fp32"] = agreement(half, full, frames)

    results["first_call_ms"] = {
        "eager": first_calls(device, cuda_graph=False),
        "graphed": first_calls(device, cuda_graph=True),
    }

    latency: dict[str, float] = {}
    eager = load_segmenter(device=device, cuda_graph=False, warm_up_budgets=LADDER_BUDGETS)
    graphed = load_segmenter(device=device, cuda_graph=True, warm_up_budgets=LADDER_BUDGETS)
    renderer_settings = RenderSettings(background=BackgroundSpec(kind=BackgroundKind.BLUR), quality=QualityMode.QUALITY)
    for label, (width, height) in SIZES.items():
        frame = cv2.resize(frames[0], (width, height), interpolation=cv2.INTER_LINEAR)
        batch = to_nchw_float(resize_for_model(frame, eager.pixel_budget))
        for name, segmenter in (("eager", eager), ("graphed", graphed)):
            latency[f"model call {label} {name}"] = _median_ms(
                lambda segmenter=segmenter, batch=batch: segmenter.run_batch(batch), synchronise, args.runs, 10
            )
            latency[f"seg(rgb) {label} {name}"] = _median_ms(
                lambda segmenter=segmenter, frame=frame: segmenter(frame), synchronise, args.runs, 10
            )
        distant = distant_person_frame(frame)
        latency[f"seg(rgb) {label} graphed, person shrunk to 40% (second look)"] = _median_ms(
            lambda distant=distant: graphed(distant), synchronise, args.runs, 10
        )
        # The render step with frame ops on the model's device (torch, "auto": the GPU when the model runs there)
        # and with OpenCV on the CPU, graphed only: the model's share is the same in both.
        for frame_ops in ("auto", "opencv"):
            renderer = FrameRenderer(graphed, use_guard=False, frame_ops_device=frame_ops)
            where = device.upper() if renderer.frame_ops is not None else "CPU (OpenCV)"
            row = f"render step {label} graphed, frame ops on {where}"
            if row in latency:  # on --device cpu both are the OpenCV path
                continue
            latency[row] = _median_ms(
                lambda renderer=renderer, frame=frame: renderer.render(frame, renderer_settings),
                synchronise,
                args.runs,
                10,
            )
            if renderer.frame_ops is not None and renderer.frame_ops.last_failure is not None:
                print(f"frame ops on {device} failed: {renderer.frame_ops.last_failure}", file=sys.stderr)
    results["latency_ms"] = latency

    fps: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, size in SIZES.items():
            clip = upscaled_clip(demo_clip(), Path(folder) / f"{label}.mp4", size, args.process_frames)
            for where in dict.fromkeys((device, "cpu")):
                fps[f"process {label} {where}"] = process_fps(where, clip, Path(folder) / f"out-{label}-{where}.mp4")
    results["process_fps"] = fps

    print_table(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def print_table(results: dict) -> None:
    """One Markdown table of every figure (the README takes it as it is)."""
    print(f"\n{results.get('gpu', results['device'])}, torch {results['torch']}, CUDA {results['cuda']}\n")
    print("| figure | value |\n|---|---|")
    for size, row in results["fp16_vs_fp32"].items():
        print(
            f"| fp16 vs fp32 at {size}: lowest mask IoU / largest probability difference / finite | "
            f"{row['min_iou']:.4f} / {row['max_dprob']:.4f} / {row['finite']} |"
        )
    for mode, times in results["first_call_ms"].items():
        print(f"| first call after loading, {mode} (ms) | " + ", ".join(f"{k} {v}" for k, v in times.items()) + " |")
    for name, value in results["latency_ms"].items():
        print(f"| {name} (median ms) | {value} |")
    for name, value in results["process_fps"].items():
        print(f"| greenroom {name} (fps) | {value if value is not None else 'failed'} |")


if __name__ == "__main__":
    sys.exit(main())
