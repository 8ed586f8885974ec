"""Shared fixtures and hooks.

- Tests marked ``cuda`` are skipped, with the reason, when torch sees no CUDA GPU.
- Segmentation fixtures: the shared data folder, a few real photos, a random-weights model exported like a shipped
  one (safetensors + ONNX + spec) into a temporary folder, and torch limited to one thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``cuda``-marked tests when no GPU is visible (torch is imported only if such tests were collected)."""
    cuda_items = [item for item in items if item.get_closest_marker("cuda") is not None]
    if not cuda_items:
        return
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs an NVIDIA GPU with CUDA; torch.cuda.is_available() is False here")
    for item in cuda_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def single_torch_thread():
    """Run torch on one intra-op thread for the session (the suite must not starve other work on the machine)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The shared data folder (``$GREENROOM_DATA`` or the folder beside the repository); skips if absent."""
    from segmentation.data_root import default_data_root

    root = default_data_root()
    if not (root / "people" / "web_photos" / "images").is_dir():
        pytest.skip(f"the shared data folder is not at {root}; set GREENROOM_DATA to run this test")
    return root


@pytest.fixture(scope="session")
def real_photos(data_root: Path) -> list[np.ndarray]:
    """Three hand-labelled web photos as (H, W, 3) uint8 RGB, long side at most 640 px."""
    from segmentation.training.sources import read_rgb

    paths = sorted((data_root / "people" / "web_photos" / "images").glob("*.jpg"))[:3]
    return [read_rgb(path, 640) for path in paths]


@pytest.fixture(scope="session")
def random_model_spec(tmp_path_factory: pytest.TempPathFactory, single_torch_thread, vary_batch_norms) -> Path:
    """Spec path of a random-weights EfficientNet-Lite0 model written as a shipped one (safetensors, ONNX, spec).

    BatchNorm statistics are set from a few smooth random images, so the network's output varies over the image
    (with the default statistics of a fresh model it is nearly constant, which would make comparisons vacuous).
    """
    import torch

    from segmentation.export import main as export_main
    from segmentation.model import build_deeplabv3plus
    from segmentation.weights import ModelSpec, save_weights

    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone="efficientnet_lite0")
    vary_batch_norms(model)
    directory = tmp_path_factory.mktemp("random_model")
    template = ModelSpec(name="random-test-model", architecture=model.config, weights_file="", weights_sha256="")
    save_weights(model, template, directory)
    spec_path = directory / "random-test-model.json"
    if export_main(["--spec", str(spec_path)]) != 0:
        raise RuntimeError("exporting the random test model failed its ONNX agreement check")
    return spec_path


@pytest.fixture(scope="session")
def vary_batch_norms():
    """A function that makes a fresh model's output vary over the image (see ``_vary_batch_norms``)."""
    return _vary_batch_norms


def _vary_batch_norms(model, seed: int = 0) -> None:
    """Give a fresh model's BatchNorms running statistics measured on smooth random images, then eval mode.

    Each BatchNorm keeps its measured means and one variance per layer (the layer's mean variance), so activations
    stay near unit scale through the depth without amplifying nearly constant channels.
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    batch_norms = [module for module in model.modules() if isinstance(module, nn.BatchNorm2d)]
    for module in batch_norms:
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the calibration batches
    generator = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        coarse = torch.rand(4, 3, 9, 16, generator=generator)
        model(F.interpolate(coarse, size=(144, 256), mode="bilinear", align_corners=False))
        for module in batch_norms:
            module.running_var.fill_(float(module.running_var.mean()))
            module.momentum = 0.1
    model.eval()


@pytest.fixture(scope="session")
def segmenter(random_model_spec: Path):
    """The random test model through ONNX Runtime (what ``auto`` picks on the CPU) on one thread, loaded once."""
    from segmentation import load_segmenter

    return load_segmenter(device="cpu", backend="onnxruntime", spec_path=random_model_spec, threads=1)


@pytest.fixture(scope="session")
def int8_convolutions():
    """A function: ONNX file path -> names of the convolutions whose weights are int8 (fed by a DequantizeLinear)."""
    return _int8_convolutions


def _int8_convolutions(onnx_path: Path) -> list[str]:
    import onnx

    nodes = onnx.load(str(onnx_path)).graph.node
    dequantised = {output for node in nodes if node.op_type == "DequantizeLinear" for output in node.output}
    return [node.name for node in nodes if node.op_type == "Conv" and node.input[1] in dequantised]
