"""Whether the CUDA path can work here, found out once per process before anything depends on it.

``torch.cuda.is_available()`` says only that a driver answered. A GPU can still be unusable: the installed PyTorch
build has no kernels for its architecture (recent CUDA builds dropped older ones; ``torch.cuda.get_arch_list()``
says which are in), the driver is too old for the build, or another program holds all of its memory. Each of those
fails at the first real use, as a ``RuntimeError`` from deep inside torch. ``probe_cuda()`` finds out up front: it
checks the GPU's compute capability against the build's architectures and runs a tiny half-precision convolution,
and reports a one-line reason when the GPU cannot be used, so that ``load_segmenter`` falls back to the CPU (device
"auto") or refuses with that reason (device "cuda").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

CUDA_EXTRA_HINT = "install the CUDA extra: pip install 'greenroom[cuda]' (a CUDA build of PyTorch)"


@dataclass(frozen=True)
class CudaStatus:
    """``usable``: the GPU passed every check. ``reason``: why not, one line for the user (empty when usable).
    ``present``: PyTorch saw a CUDA GPU (so a fallback to the CPU is worth telling the user about). ``gpu``: its
    name, when it could be read."""

    usable: bool
    reason: str = ""
    present: bool = False
    gpu: str = ""


def architecture_supported(capability: tuple[int, int], arch_list: list[str]) -> bool:
    """True if a build with kernels for ``arch_list`` (``torch.cuda.get_arch_list()``, such as ``["sm_80",
    "sm_90", "compute_90"]``) runs on a GPU of compute ``capability`` (major, minor).

    A binary for sm_XY runs on the same major version at minor Y or higher; PTX (``compute_XY``) is compiled by the
    driver for any GPU of capability XY or higher. An empty list (a build that does not say) counts as supported:
    the test forward then decides.
    """
    if not arch_list:
        return True
    major, minor = capability
    for arch in arch_list:
        kind, _, number = arch.partition("_")
        if not number.isdigit() or len(number) < 2:
            continue
        arch_major, arch_minor = int(number[:-1]), int(number[-1])
        if kind == "sm" and arch_major == major and arch_minor <= minor:
            return True
        if kind == "compute" and (arch_major, arch_minor) <= (major, minor):
            return True
    return False


def first_line(error: BaseException) -> str:
    """The first line of an error's message (at most 200 characters), or its type's name when it has none."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text[:200]


@functools.cache
def probe_cuda() -> CudaStatus:
    """Check once per process whether the CUDA path can run (see the module docstring); never raises."""
    try:
        import torch
    except ImportError:
        return CudaStatus(False, f"PyTorch is not installed; {CUDA_EXTRA_HINT}")
    if not torch.cuda.is_available():
        if torch.version.cuda is None:
            return CudaStatus(False, f"this PyTorch is a CPU-only build; {CUDA_EXTRA_HINT}")
        return CudaStatus(False, "no CUDA GPU is visible to PyTorch (no NVIDIA GPU, or its driver is not loaded)")
    gpu = ""
    try:
        gpu = torch.cuda.get_device_name(0)
        capability = torch.cuda.get_device_capability(0)
        arch_list = list(torch.cuda.get_arch_list())
        if not architecture_supported(capability, arch_list):
            return CudaStatus(
                False,
                f"this PyTorch build has no kernels for the {gpu} (sm_{capability[0]}{capability[1]}; the build has "
                f"{', '.join(arch_list)}); install a PyTorch build that supports it",
                present=True,
                gpu=gpu,
            )
        _tiny_forward(torch)
    except Exception as error:  # torch raises RuntimeError (and subclasses such as OutOfMemoryError) here
        return CudaStatus(False, f"the GPU failed a test run ({first_line(error)})", present=True, gpu=gpu)
    return CudaStatus(True, present=True, gpu=gpu)


def _tiny_forward(torch) -> None:
    """A half-precision convolution, BatchNorm-free, on the GPU, and a copy back: what inference needs to work."""
    with torch.inference_mode():
        batch = torch.rand((1, 3, 32, 32), device="cuda", dtype=torch.float16)
        weight = torch.rand((8, 3, 3, 3), device="cuda", dtype=torch.float16)
        result = torch.nn.functional.conv2d(batch, weight, padding=1).float().sum().item()
    if result != result:  # NaN: the kernels ran but computed nothing usable
        raise RuntimeError("the test convolution returned NaN")


def gpu_failure(segmenter, error: BaseException | None) -> bool:
    """True if ``error``, raised by ``segmenter``'s model, is the GPU failing (so the CPU should take over): the
    segmenter runs on CUDA and the error is one torch raises for device problems (``RuntimeError``: CUDA errors,
    out of memory), not a model that returned a bad mask (``ModelOutputError``)."""
    from segmentation.inference.choices import Device
    from segmentation.inference.validation import ModelOutputError

    return (
        segmenter.info.device == Device.CUDA
        and isinstance(error, RuntimeError)
        and not isinstance(error, ModelOutputError)
    )
