"""The CUDA path checks itself before use: a GPU the build cannot drive, or one that fails its first use, sends device
"auto" to the CPU with a one-line reason and makes device "cuda" a clear refusal.

Without a GPU here, the GPU is faked at torch's own functions (``torch.cuda.is_available`` and friends), and a GPU
that fails on first use is the real loader meeting a torch without CUDA kernels.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from segmentation import BackendChoiceError, Device, load_segmenter
from segmentation.inference import cuda_probe, loading
from segmentation.inference.cuda_probe import CudaStatus, architecture_supported, probe_cuda


@pytest.fixture(autouse=True)
def fresh_probe():
    probe_cuda.cache_clear()
    yield
    probe_cuda.cache_clear()


@pytest.mark.parametrize(
    ("capability", "arch_list", "supported"),
    [
        ((8, 6), ["sm_80", "sm_90"], True),  # sm_80 binaries run on sm_86
        ((9, 0), ["sm_80", "sm_90"], True),
        ((7, 5), ["sm_80", "sm_90"], False),  # Turing on a build that dropped it
        ((6, 1), ["sm_75", "sm_80", "compute_80"], False),
        ((12, 0), ["sm_80", "sm_90", "compute_90"], True),  # PTX compiles for newer GPUs
        ((12, 0), ["sm_80", "sm_90"], False),
        ((8, 0), [], True),  # the build does not say: the test forward decides
        ((8, 0), ["sm_80a", "bogus"], False),
    ],
)
def test_architecture_support_follows_cuda_compatibility_rules(capability, arch_list, supported) -> None:
    assert architecture_supported(capability, arch_list) is supported


def _fake_gpu(monkeypatch, *, capability=(8, 6), arch_list=("sm_80", "sm_90"), name="Fake RTX") -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: name)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=0: capability)
    monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: list(arch_list))


def test_a_gpu_the_build_has_no_kernels_for_is_not_used(monkeypatch) -> None:
    _fake_gpu(monkeypatch, capability=(6, 1), name="GeForce GTX 1080")
    status = probe_cuda()
    assert not status.usable and status.present and status.gpu == "GeForce GTX 1080"
    assert "no kernels for the GeForce GTX 1080 (sm_61; the build has sm_80, sm_90)" in status.reason


def test_a_gpu_that_fails_its_test_run_is_not_used(monkeypatch) -> None:
    _fake_gpu(monkeypatch)  # torch here has no CUDA kernels at all: the test convolution fails as on a broken driver
    status = probe_cuda()
    assert not status.usable and status.present and status.reason.startswith("the GPU failed a test run (")


def test_no_gpu_is_no_note() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible here")
    status = probe_cuda()
    assert not status.usable and not status.present


def _usable_gpu(monkeypatch) -> None:
    monkeypatch.setattr(loading, "probe_cuda", lambda: CudaStatus(True, present=True, gpu="Fake RTX"))


def test_auto_falls_back_to_the_cpu_with_a_reason_when_the_gpu_fails_at_load(monkeypatch, random_model_spec: Path):
    _usable_gpu(monkeypatch)  # it passes the probe, then loading the model on it fails (no CUDA kernels in this torch)
    segmenter = load_segmenter(spec_path=random_model_spec)
    assert segmenter.info.device == "cpu" and segmenter.info.backend == "onnxruntime"
    assert segmenter.info.note.startswith("the GPU is not used: the GPU failed while loading the model (")
    assert "\n" not in segmenter.info.note


def test_auto_with_torch_asked_for_falls_back_to_torch_on_the_cpu(monkeypatch, random_model_spec: Path) -> None:
    _usable_gpu(monkeypatch)
    segmenter = load_segmenter(backend="torch", spec_path=random_model_spec)
    assert (segmenter.info.device, segmenter.info.backend) == ("cpu", "torch")
    assert segmenter.info.note


def test_cuda_asked_for_that_fails_is_one_clear_refusal(monkeypatch, random_model_spec: Path) -> None:
    _usable_gpu(monkeypatch)
    with pytest.raises(BackendChoiceError, match=r"^device 'cuda' cannot be used: the GPU failed while loading"):
        load_segmenter(device=Device.CUDA, spec_path=random_model_spec)


def test_a_gpu_that_is_there_but_unusable_is_named_when_auto_picks_the_cpu(monkeypatch, random_model_spec: Path):
    reason = "this PyTorch build has no kernels for the GTX 1080"
    monkeypatch.setattr(loading, "probe_cuda", lambda: CudaStatus(False, reason, present=True))
    segmenter = load_segmenter(spec_path=random_model_spec)
    assert segmenter.info.device == "cpu" and segmenter.info.note == f"the GPU is not used: {reason}"
    with pytest.raises(BackendChoiceError, match=f"device 'cuda' cannot be used: {reason}; or use the CPU"):
        load_segmenter(device="cuda", spec_path=random_model_spec)


def test_the_probe_runs_once_per_process(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(cuda_probe, "_tiny_forward", lambda torch: calls.append(1))
    _fake_gpu(monkeypatch)
    assert probe_cuda().usable and probe_cuda().usable
    assert calls == [1]
