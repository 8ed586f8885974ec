"""``python -m segmentation.tools.bench``: latency of the person segmenter per backend and input size, beside MediaPipe.

For every backend this machine has (ONNX Runtime in the precision the spec states for ``NAME.onnx``; torch float32
on the CPU; torch float16 on CUDA when a GPU is visible) and every pixel budget, it times

- ``seg(rgb)``: one full call on a 1280x720 RGB frame, as the app makes it (resize, inference, sigmoid, upsampling);
- the bare model: the backend alone on the prepared (1, 3, h, w) float32 tensor,

and prints the median and 90th percentile in milliseconds over ``--runs`` runs after warm-up. The MediaPipe selfie
landscape model (256x144) is measured in the same run, full call and bare interpreter. The frame is the first frame
of the demo clip upscaled to 1280x720 when the data folder has it, else a generated test frame.

Last, the cost of the second look at a small person (``segmentation/inference/zoom.py``): the automatically chosen
backend at the spec's budget on the same frame shrunk to 40% in the middle of a 1280x720 room of its own edge
pixels, with the second pass and without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from segmentation.inference import load_segmenter, model_input_size, resolve_device_and_backend
from segmentation.inference.choices import Backend, Device, torch_precision
from segmentation.inference.loading import cuda_available
from segmentation.inference.preprocess import to_nchw_float
from segmentation.inference.segmenter import Segmenter
from segmentation.inference.zoom import zoom_crop
from segmentation.weights import ModelSpec, default_spec_path, load_spec

FRAME_SIZE = (1280, 720)  # (width, height) of the benchmark frame
DISTANT_SCALE = 0.4  # the benchmark frame's size in the distant-person frame
PIXEL_BUDGETS = (192 * 108, 256 * 144, 320 * 180, 384 * 216)
TARGET_MS = 15.0  # one seg(rgb) call at 1280x720 with the automatically chosen backend


def row_name(backend: Backend, precision: str, device: Device) -> str:
    """Table row name of what runs, e.g. "onnxruntime int8-backbone" or "torch float32 cpu"."""
    if backend is Backend.ONNXRUNTIME:
        return f"onnxruntime {precision}"
    return f"torch {precision} {device}"


@dataclass(frozen=True)
class BenchSettings:
    """How to measure: ``runs`` timed calls after ``warm_up`` untimed ones, on ``threads`` threads, per budget."""

    runs: int = 50
    warm_up: int = 5
    threads: int = 2
    budgets: tuple[int, ...] = PIXEL_BUDGETS


@dataclass(frozen=True)
class Timing:
    """Median and 90th percentile of one measured call, in milliseconds."""

    median_ms: float
    p90_ms: float

    def __str__(self) -> str:
        return f"{self.median_ms:7.2f} / {self.p90_ms:7.2f}"


@dataclass(frozen=True)
class Row:
    """One table row: what ran, at which input size, and its two timings (``model`` None when not measured)."""

    name: str
    input_size: tuple[int, int]
    full_call: Timing
    model: Timing | None


def time_call(call: Callable[[], object], runs: int, warm_up: int) -> Timing:
    """Run ``call`` ``warm_up`` times untimed, then ``runs`` times timed with ``time.perf_counter``."""
    for _ in range(warm_up):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000.0)
    samples.sort()
    return Timing(statistics.median(samples), samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))])


def benchmark_frame(data_root: Path) -> tuple[np.ndarray, str]:
    """A (720, 1280, 3) uint8 RGB frame and where it came from."""
    from segmentation.training.sources import DEMO_CLIP_NAME

    clip = data_root / "videos" / DEMO_CLIP_NAME
    capture = cv2.VideoCapture(str(clip))
    try:
        ok, bgr = capture.read()
    finally:
        capture.release()
    if ok:
        rgb = cv2.cvtColor(cv2.resize(bgr, FRAME_SIZE, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
        return rgb, f"first frame of {DEMO_CLIP_NAME}, upscaled to {FRAME_SIZE[0]}x{FRAME_SIZE[1]}"
    return _generated_frame(), f"generated {FRAME_SIZE[0]}x{FRAME_SIZE[1]} test frame ({clip.name} not found)"


def distant_person_frame(rgb: np.ndarray, scale: float = DISTANT_SCALE) -> np.ndarray:
    """``rgb`` (H, W, 3) uint8 shrunk by ``scale`` into the middle of a frame of its size whose room is its own edge
    pixels repeated outward: the same person, far from the camera."""
    height, width = rgb.shape[:2]
    small = cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    bottom, right = height - small.shape[0] - top, width - small.shape[1] - left
    return cv2.copyMakeBorder(small, top, bottom, left, right, cv2.BORDER_REPLICATE)


def _generated_frame() -> np.ndarray:
    """A deterministic stand-in: colour gradients, a head-and-shoulders silhouette and mild noise."""
    width, height = FRAME_SIZE
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([xs / width * 180 + 40, ys / height * 160 + 60, np.full_like(xs, 120)], axis=2)
    head = ((xs - width / 2) / 110) ** 2 + ((ys - height * 0.38) / 140) ** 2 <= 1
    shoulders = ((xs - width / 2) / 330) ** 2 + ((ys - height * 1.05) / 300) ** 2 <= 1
    rgb[head | shoulders] = (190, 140, 120)
    rgb += np.random.default_rng(0).normal(0, 4, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _segmenter_rows(spec_path: Path, spec: ModelSpec, rgb: np.ndarray, settings: BenchSettings) -> list[Row]:
    """Rows for every backend available here at every pixel budget."""
    runs, warm_up, threads = settings.runs, settings.warm_up, settings.threads
    choices = [(Device.CPU, Backend.ONNXRUNTIME)] if spec.onnx_file else []
    choices.append((Device.CPU, Backend.TORCH))
    if cuda_available():
        choices.append((Device.CUDA, Backend.TORCH))
    rows = []
    for device, backend in choices:
        seg = load_segmenter(device, backend, spec_path=spec_path, threads=threads)
        for budget in settings.budgets:
            rows.append(_measure(seg, rgb, budget, runs, warm_up))
    return rows


def _measure(seg: Segmenter, rgb: np.ndarray, budget: int, runs: int, warm_up: int) -> Row:
    """``seg(rgb)`` at ``budget``, and the bare backend on the prepared tensor."""
    size = seg.input_size(rgb.shape[1], rgb.shape[0], budget)
    tensor = to_nchw_float(seg.model_input(rgb, budget))
    whole = time_call(lambda: seg(rgb, budget), runs, warm_up)
    name = row_name(seg.info.backend, seg.info.precision, seg.info.device)
    return Row(name, size, whole, time_call(lambda: seg.run_batch(tensor), runs, warm_up))


def _mediapipe_row(models_dir: Path, rgb: np.ndarray, settings: BenchSettings) -> Row | str:
    """The MediaPipe landscape model's row, or why it could not run."""
    try:
        from segmentation.peers.mediapipe import LANDSCAPE_MODEL, MediaPipeSelfie, load_interpreter

        teacher = MediaPipeSelfie(models_dir, num_threads=settings.threads, force=LANDSCAPE_MODEL)
    except (ImportError, FileNotFoundError) as error:
        return f"MediaPipe selfie landscape: not measured ({error})"
    interpreter = load_interpreter(models_dir / LANDSCAPE_MODEL, num_threads=settings.threads)
    detail = interpreter.get_input_details()[0]
    _, height, width, _ = (int(value) for value in detail["shape"])
    prepared = (cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0)[None]

    def bare() -> None:
        interpreter.set_tensor(detail["index"], prepared)
        interpreter.invoke()

    full = time_call(lambda: teacher(rgb), settings.runs, settings.warm_up)
    return Row("mediapipe selfie landscape", (width, height), full, time_call(bare, settings.runs, settings.warm_up))


def format_table(rows: list[Row]) -> str:
    """Fixed-width table: backend, model input, seg(rgb) and bare model median / p90 in ms."""
    header = f"{'backend':<28} {'input':>9}  {'seg(rgb) median / p90 ms':>25}  {'model median / p90 ms':>22}"
    lines = [header, "-" * len(header)]
    for row in rows:
        model = str(row.model) if row.model else "-"
        size = f"{row.input_size[0]}x{row.input_size[1]}"
        lines.append(f"{row.name:<28} {size:>9}  {row.full_call!s:>25}  {model:>22}")
    return "\n".join(lines)


def _parse_args(argv: list[str] | None) -> tuple[Path, BenchSettings]:
    parser = argparse.ArgumentParser(prog="python -m segmentation.tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spec",
        type=Path,
        default=default_spec_path(),
        help="model spec (default: $GREENROOM_MODEL or the shipped model)",
    )
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads for every backend (default 2)")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement (default 50)")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed runs before each measurement (default 5)")
    parser.add_argument(
        "--budgets", type=int, nargs="+", default=list(PIXEL_BUDGETS), help="pixel budgets (default: 4 sizes)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warm_up < 0 or args.threads < 1:
        parser.error("--runs and --threads must be at least 1 and --warm-up at least 0")
    return args.spec, BenchSettings(args.runs, args.warm_up, args.threads, tuple(args.budgets))


def main(argv: list[str] | None = None) -> int:
    spec_path, settings = _parse_args(argv)
    if not spec_path.is_file():
        print(
            f"no model spec at {spec_path}: pass --spec PATH to a model spec, or export the weights first with "
            "`python -m segmentation.export --checkpoint RUN/best_ema.pt`",
            file=sys.stderr,
        )
        return 2
    from segmentation.data_root import default_data_root

    spec = load_spec(spec_path)
    data_root = default_data_root()
    rgb, frame_source = benchmark_frame(data_root)
    load = os.getloadavg()
    print(f"model {spec.name} ({spec.architecture.backbone}, OS {spec.architecture.output_stride}); {frame_source}")
    print(
        f"{settings.threads} threads, {settings.runs} runs after {settings.warm_up} warm-up runs; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f}"
    )
    if load[0] >= (os.cpu_count() or 1) - 0.5:
        print("warning: the machine is busy; timings (torch's spinning threads most of all) will be pessimistic")
    rows = _segmenter_rows(spec_path, spec, rgb, settings)
    mediapipe = _mediapipe_row(data_root / "models", rgb, settings)
    print()
    print(format_table([*rows, mediapipe] if isinstance(mediapipe, Row) else rows))
    if isinstance(mediapipe, str):
        print(mediapipe)
    device, backend = resolve_device_and_backend("auto", "auto", has_onnx=bool(spec.onnx_file))
    print()
    print(f"auto picks: device {device}, backend {backend}")
    precision = spec.onnx_precision if backend is Backend.ONNXRUNTIME else torch_precision(device)
    _print_target(rows, row_name(backend, precision, device), spec.pixel_budget, rgb)
    seg = load_segmenter(device, backend, spec_path=spec_path, threads=settings.threads)
    print(_zoom_cost(seg, distant_person_frame(rgb), spec.pixel_budget, settings))
    return 0


def _zoom_cost(seg: Segmenter, rgb: np.ndarray, budget: int, settings: BenchSettings) -> str:
    """One line: ``seg(rgb)`` on a distant-person frame with the second pass (whether it ran) and without it."""
    height, width = rgb.shape[:2]
    found = zoom_crop(seg.infer(rgb, budget, zoom=False).mask, width, height, budget) is not None
    ran = "ran" if found else "did not run: no small person found"
    with_zoom = time_call(lambda: seg(rgb, budget), settings.runs, settings.warm_up)
    without = time_call(lambda: seg.upsample(seg.infer(rgb, budget, zoom=False), rgb), settings.runs, settings.warm_up)
    return (
        f"a distant person (the frame at {DISTANT_SCALE:.0%} in a {width}x{height} room): seg(rgb) {with_zoom} ms "
        f"with the second look at them ({ran}), {without} ms with one pass"
    )


def _print_target(rows: list[Row], auto_row_name: str, budget: int, rgb: np.ndarray) -> None:
    """Say whether the automatically chosen backend meets ``TARGET_MS`` for seg(rgb) at the default budget."""
    size = model_input_size(rgb.shape[1], rgb.shape[0], budget)
    match = next((row for row in rows if row.name == auto_row_name and row.input_size == size), None)
    if match is None:
        print(f"target {TARGET_MS:.0f} ms: not measured (the auto backend at {size[0]}x{size[1]} was not in the run)")
        return
    verdict = "met" if match.full_call.median_ms <= TARGET_MS else "NOT met"
    print(
        f"target {TARGET_MS:.0f} ms for seg(rgb) at {FRAME_SIZE[0]}x{FRAME_SIZE[1]} with {match.name} at "
        f"{size[0]}x{size[1]}: {verdict} (median {match.full_call.median_ms:.2f} ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
