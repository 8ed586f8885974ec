"""``load_segmenter``: pick device and backend, verify the weights, build a ready-to-call ``Segmenter``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segmentation.inference.backends import OnnxRuntimeBackend, TorchBackend
from segmentation.inference.choices import Backend, Device, Precision, torch_precision
from segmentation.inference.segmenter import BackendInfo, Segmenter
from segmentation.inference.validation import ModelOutputError, probe_frames, probe_model
from segmentation.weights import (
    ASSETS_MODELS_DIR,
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
    """True if torch is installed with CUDA and sees a GPU."""
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _onnxruntime_installed() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_device_and_backend(device: str, backend: str, has_onnx: bool) -> tuple[Device, Backend]:
    """Turn "auto" choices into concrete ones; raise ``BackendChoiceError`` for impossible combinations.

    ``device`` and ``backend`` are ``Device`` and ``Backend`` members or their text. auto device: CUDA if a GPU is
    visible, else CPU. auto backend: torch on CUDA; ONNX Runtime on the CPU when it is installed and the model ships
    an ONNX file, torch float32 otherwise.
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
        raise BackendChoiceError(
            "device 'cuda' was asked for but no CUDA GPU is visible to torch; use the CPU (--device cpu)"
        )
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
    cuda_graph: bool = False,
) -> Segmenter:
    """Load the shipped (or ``spec_path``) model, warm it up and return a ``Segmenter``.

    Raises ``WeightsError`` (missing, damaged or foreign files, a model that fails or returns something other than
    a finite person mask on two probe frames, each with what to do) or ``BackendChoiceError`` (bad choices).
    """
    spec_path = spec_path or default_spec_path()
    spec = load_spec(spec_path)
    directory = spec_path.parent
    device, backend = resolve_device_and_backend(device, backend, has_onnx=bool(spec.onnx_file))
    runner: OnnxRuntimeBackend | TorchBackend
    if backend is Backend.ONNXRUNTIME:
        onnx_path = verified_file(directory / spec.onnx_file, spec.onnx_sha256, "ONNX model")
        try:
            runner = OnnxRuntimeBackend(onnx_path, threads=threads, precision=Precision(spec.onnx_precision))
        except Exception as error:  # onnxruntime raises its own untyped errors for bad files
            hint = "reinstall Greenroom" if directory == ASSETS_MODELS_DIR else _FOREIGN_MODEL_HINT
            raise WeightsError(f"ONNX model {onnx_path} cannot be loaded ({error}); {hint}") from None
    else:
        try:
            import torch
        except ImportError:
            raise BackendChoiceError(
                "the torch backend needs PyTorch, which is not installed here; use backend='onnxruntime' "
                "(or install torch)"
            ) from None
        if threads:
            torch.set_num_threads(threads)
        model = build_model_from_spec(spec, directory)
        runner = TorchBackend(model, device=device, precision=torch_precision(device), cuda_graph=cuda_graph)
    segmenter = Segmenter(
        runner,
        BackendInfo(backend=runner.name, device=runner.device, precision=runner.precision, model_name=spec.name),
        pixel_budget=pixel_budget or spec.pixel_budget,
    )
    _probe_and_warm_up(segmenter, spec_path)
    return segmenter


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
