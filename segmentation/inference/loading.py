"""``load_segmenter``: pick device and backend, verify the weights, build a ready-to-call ``Segmenter``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segmentation.inference.backends import OnnxRuntimeBackend, TorchBackend
from segmentation.inference.choices import Backend, Device, Precision, torch_precision
from segmentation.inference.cuda_probe import CUDA_EXTRA_HINT, first_line, probe_cuda
from segmentation.inference.edge_refiner import ClassicGuidedFilter, Coefficients, LearntEdgeRefiner, probe_edges
from segmentation.inference.segmenter import BackendInfo, Segmenter
from segmentation.inference.sizing import model_input_size
from segmentation.inference.validation import ModelOutputError, probe_frames, probe_model
from segmentation.weights import (
    ASSETS_MODELS_DIR,
    ModelSpec,
    WeightsError,
    build_model_from_spec,
    default_spec_path,
    load_spec,
    verified_file,
)

_WARM_UP_RUNS = 3
_FOREIGN_MODEL_HINT = (
    "use a Greenroom model: (N, 3, h, w) RGB in [0, 1] in, (N, 1, h, w) person logits out (unset GREENROOM_MODEL or "
    "--model for the shipped one)"
)


class BackendChoiceError(ValueError):
    """A device or backend that cannot run here (CUDA asked for without a GPU, the torch backend without PyTorch);
    the message says what to choose instead."""


def cuda_available() -> bool:
    """True if the CUDA path can run here: torch with CUDA sees a GPU, has kernels for it, and a test forward worked
    (``cuda_probe.probe_cuda``, checked once per process)."""
    return probe_cuda().usable


def _onnxruntime_installed() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_device_and_backend(device: str, backend: str, has_onnx: bool) -> tuple[Device, Backend]:
    """Turn "auto" choices into concrete ones; raise ``BackendChoiceError`` for impossible combinations.

    ``device`` and ``backend`` are ``Device`` and ``Backend`` members or their text. auto device: CUDA if the GPU
    passes ``probe_cuda``, else CPU. auto backend: torch on CUDA; ONNX Runtime on the CPU when it is installed and
    the model ships an ONNX file, torch float32 otherwise.
    """
    try:
        chosen_device = Device(device)
    except ValueError:
        raise BackendChoiceError(f"device must be one of {[d.value for d in Device]}, got {device!r}") from None
    try:
        chosen_backend = Backend(backend)
    except ValueError:
        raise BackendChoiceError(f"backend must be one of {[b.value for b in Backend]}, got {backend!r}") from None
    if chosen_device is Device.AUTO:
        chosen_device = Device.CUDA if cuda_available() else Device.CPU
    if chosen_device is Device.CUDA and not cuda_available():
        raise BackendChoiceError(f"device 'cuda' cannot be used: {probe_cuda().reason}; or use the CPU (--device cpu)")
    if chosen_backend is Backend.ONNXRUNTIME and chosen_device is not Device.CPU:
        raise BackendChoiceError(
            "the onnxruntime backend runs on the CPU here; use the torch backend for CUDA (--backend torch)"
        )
    if chosen_backend is Backend.AUTO:
        on_cpu_with_onnx = chosen_device is Device.CPU and has_onnx and _onnxruntime_installed()
        chosen_backend = Backend.ONNXRUNTIME if on_cpu_with_onnx else Backend.TORCH
    return chosen_device, chosen_backend


def load_segmenter(
    device: str = Device.AUTO,
    backend: str = Backend.AUTO,
    *,
    spec_path: Path | None = None,
    threads: int | None = None,
    pixel_budget: int | None = None,
    cuda_graph: bool = True,
    warm_up_budgets: Sequence[int] = (),
) -> Segmenter:
    """Load the shipped (or ``spec_path``) model, warm it up and return a ``Segmenter``.

    On CUDA the GPU must first pass ``probe_cuda``; then, if building, probing or warming up the model there fails
    (no memory, a driver error), device "auto" loads it on the CPU instead. Either way ``info.note`` says, in one
    line, why the GPU is not used. Raises ``WeightsError`` (missing, damaged or foreign files, a model that fails or
    returns something other than a finite person mask on the probe frames, each with what to do) or
    ``BackendChoiceError`` (bad choices, and device "cuda" where the GPU cannot run it).

    On CUDA the model is made ready (cuDNN autotuned, and with ``cuda_graph`` a CUDA graph captured) for its own input
    size and each of ``warm_up_budgets`` (the app passes its adaptive ladder), at the frame shapes of
    ``WARM_UP_ASPECTS``: a stream's first frame at any of those sizes then runs at full speed.
    """
    spec_path = spec_path or default_spec_path()
    spec = load_spec(spec_path)
    chosen_device, chosen_backend = resolve_device_and_backend(device, backend, has_onnx=bool(spec.onnx_file))
    status = probe_cuda() if device == Device.AUTO and chosen_device is Device.CPU else None
    note = f"the GPU is not used: {status.reason}" if status is not None and status.present else ""
    options = _LoadOptions(spec, spec_path, threads, pixel_budget, cuda_graph, tuple(warm_up_budgets))
    if chosen_device is not Device.CUDA:
        return _load(chosen_device, chosen_backend, options, note)
    try:
        return _load(chosen_device, chosen_backend, options, note)
    except Exception as error:  # any failure on the GPU (torch raises RuntimeError and its subclasses)
        reason = f"the GPU failed while loading the model ({first_line(error)})"
        if device != Device.AUTO:
            raise BackendChoiceError(f"device 'cuda' cannot be used: {reason}; use the CPU (--device cpu)") from None
    cpu_backend = Backend.TORCH if backend == Backend.TORCH else Backend.AUTO
    device_cpu, backend_cpu = resolve_device_and_backend(Device.CPU, cpu_backend, has_onnx=bool(spec.onnx_file))
    return _load(device_cpu, backend_cpu, options, f"the GPU is not used: {reason}")


@dataclass(frozen=True)
class _LoadOptions:
    spec: ModelSpec
    spec_path: Path
    threads: int | None
    pixel_budget: int | None
    cuda_graph: bool
    warm_up_budgets: tuple[int, ...]


def _load(device: Device, backend: Backend, options: _LoadOptions, note: str) -> Segmenter:
    """Build, probe and warm up the model of ``options.spec_path`` on ``device`` with ``backend``."""
    spec = options.spec
    directory = options.spec_path.parent
    runner: OnnxRuntimeBackend | TorchBackend
    if backend is Backend.ONNXRUNTIME:
        onnx_path = verified_file(directory / spec.onnx_file, spec.onnx_sha256, "ONNX model")
        try:
            runner = OnnxRuntimeBackend(onnx_path, threads=options.threads, precision=Precision(spec.onnx_precision))
        except Exception as error:  # onnxruntime raises its own untyped errors for bad files
            hint = "reinstall Greenroom" if directory == ASSETS_MODELS_DIR else _FOREIGN_MODEL_HINT
            raise WeightsError(f"ONNX model {onnx_path} cannot be loaded ({error}); {hint}") from None
    else:
        try:
            import torch
        except ImportError:
            raise BackendChoiceError(
                f"the torch backend needs PyTorch, which is not installed here; use backend='onnxruntime' (or "
                f"{CUDA_EXTRA_HINT})"
            ) from None
        if options.threads:
            torch.set_num_threads(options.threads)
        model = build_model_from_spec(spec, directory)
        runner = TorchBackend(model, device=device, precision=torch_precision(device), cuda_graph=options.cuda_graph)
    info = BackendInfo(
        backend=runner.name, device=runner.device, precision=runner.precision, model_name=spec.name, note=note
    )
    edges = load_edges(spec, directory)
    segmenter = Segmenter(runner, info, pixel_budget=options.pixel_budget or spec.pixel_budget, edges=edges)
    _probe_and_warm_up(segmenter, options.spec_path)
    if isinstance(runner, TorchBackend):
        runner.prepare(warm_up_shapes((segmenter.pixel_budget, *options.warm_up_budgets)))
    return segmenter


def load_edges(spec: ModelSpec, directory: Path) -> Coefficients:
    """The spec's learnt edge refiner (verified, loaded without pickle, probed), or the classic guided filter when
    the spec names none; ``WeightsError`` saying what to do when the file is missing, damaged or untrustworthy."""
    if not spec.refiner_file:
        return ClassicGuidedFilter()
    path = verified_file(directory / spec.refiner_file, spec.refiner_sha256, "edge refiner")
    hint = "reinstall Greenroom" if directory == ASSETS_MODELS_DIR else _FOREIGN_MODEL_HINT
    try:
        refiner = LearntEdgeRefiner.from_file(path)
    except ValueError as error:
        raise WeightsError(f"edge refiner {path} is not usable ({error}); {hint}") from None
    problem = probe_edges(refiner)
    if problem:
        raise WeightsError(f"edge refiner {path} fails its check on a probe picture: {problem}; {hint}")
    return refiner


WARM_UP_ASPECTS = ((16, 9), (4, 3))  # the frame shapes of nearly every webcam and video


def warm_up_shapes(budgets: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """The distinct (1, 3, h, w) model inputs of frames of ``WARM_UP_ASPECTS`` at each of ``budgets``."""
    shapes: list[tuple[int, int, int, int]] = []
    for budget in budgets:
        for aspect_width, aspect_height in WARM_UP_ASPECTS:
            width, height = model_input_size(aspect_width * 120, aspect_height * 120, budget)
            if (1, 3, height, width) not in shapes:
                shapes.append((1, 3, height, width))
    return shapes


def _probe_and_warm_up(segmenter: Segmenter, spec_path: Path) -> None:
    """Refuse, as a ``WeightsError``, a model that cannot run or does not return a person mask (``probe_model``),
    then run it ``_WARM_UP_RUNS`` times on a probe frame (the first runs allocate and pick kernels); a model that
    fails there is refused the same way."""
    where = f"the model {spec_path}"
    warm_up = (probe_frames()[0].transpose(1, 2, 0) * 255.0).astype(np.uint8)
    try:
        probe_model(segmenter.run_batch, where)
        for _ in range(_WARM_UP_RUNS):
            segmenter.low_res(warm_up)
    except ModelOutputError as error:
        raise WeightsError(f"{error}; {_FOREIGN_MODEL_HINT}") from None
    except Exception as error:  # backends raise their own untyped errors for graphs that do not fit the input
        reason = (str(error).strip().splitlines() or [""])[0][:200]
        raise WeightsError(
            f"{where} fails on a test frame ({type(error).__name__}: {reason}); {_FOREIGN_MODEL_HINT}"
        ) from None
