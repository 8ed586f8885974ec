"""The ``Segmenter`` facade on both CPU backends: frame contract, sizing, batching, validation, backend choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation import BackendInfo, integer_area_step, load_segmenter, model_input_size
from segmentation.inference import resolve_device_and_backend
from segmentation.inference.loading import cuda_available
from segmentation.inference.preprocess import resize_for_model

pytestmark = pytest.mark.usefixtures("single_torch_thread")

BACKENDS = ["torch", "onnxruntime"]
FRAME_SIZES = [(1280, 720), (641, 479), (100, 37)]  # (width, height)


@pytest.fixture(scope="module")
def segmenters(random_model_spec):
    """One CPU segmenter per backend, loaded through the public API from the exported random model."""
    return {backend: load_segmenter("cpu", backend, spec_path=random_model_spec, threads=1) for backend in BACKENDS}


def _frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth (H, W, 3) uint8 RGB test frame (gradients plus a bright blob), not flat noise."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    blob = np.exp(-(((xs - width * 0.5) / (0.2 * width)) ** 2 + ((ys - height * 0.6) / (0.3 * height)) ** 2))
    channels = [xs / width, ys / height, blob]
    rgb = np.stack(channels, axis=2) * 200 + rng.uniform(0, 40, (1, 1, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_info_says_what_runs(segmenters, backend: str) -> None:
    info = segmenters[backend].info
    assert info == BackendInfo(backend=backend, device="cpu", precision="float32", model_name="random-test-model")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("width", "height"), FRAME_SIZES)
def test_full_resolution_probability(segmenters, backend: str, width: int, height: int) -> None:
    mask = segmenters[backend](_frame(width, height))
    assert mask.shape == (height, width)
    assert mask.dtype == np.float32
    assert np.isfinite(mask).all()
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask.std() > 0, "the mask is flat: the test model does not react to the image"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("width", "height"), FRAME_SIZES)
def test_low_res_has_the_model_input_size(segmenters, backend: str, width: int, height: int) -> None:
    seg = segmenters[backend]
    low = seg.low_res(_frame(width, height))
    model_width, model_height = model_input_size(width, height, seg.pixel_budget)
    assert seg.input_size(width, height) == (model_width, model_height)
    assert low.shape == (model_height, model_width)
    assert low.dtype == np.float32 and low.min() >= 0.0 and low.max() <= 1.0


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (720, 480)])
@pytest.mark.parametrize("budget", [160 * 90, 256 * 144, 320 * 180])
def test_infer_returns_the_small_frame_and_its_mask_pixel_for_pixel(segmenters, width, height, budget) -> None:
    """A 640x480 frame becomes 208x160, and sizing 208x160 afresh would give 224x176: the mask must match the small
    frame the engine filters with, so ``infer`` hands over both, at the budget it was given."""
    seg = segmenters["onnxruntime"]
    frame = _frame(width, height)
    result = seg.infer(frame, budget)
    np.testing.assert_array_equal(result.small, resize_for_model(frame, budget))
    assert result.mask.shape == result.small.shape[:2] == seg.input_size(width, height, budget)[::-1]
    np.testing.assert_array_equal(seg.model_input(frame, budget), result.small)
    if budget == seg.pixel_budget:
        np.testing.assert_allclose(result.mask, seg.low_res(frame), atol=1e-6)


def test_the_budget_is_an_argument_not_state(segmenters) -> None:
    """The engine's render thread and the guard's worker share one segmenter: nothing a call does may change it."""
    seg = segmenters["onnxruntime"]
    with pytest.raises(AttributeError):
        seg.pixel_budget = 160 * 90
    assert seg.infer(_frame(1280, 720), 160 * 90).mask.shape == (96, 176)  # 160x90 in multiples of 16
    assert seg.low_res(_frame(1280, 720)).shape == (144, 256)


def test_16_9_frames_run_at_256x144(segmenters) -> None:
    assert segmenters["onnxruntime"].low_res(_frame(1280, 720)).shape == (144, 256)


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_equals_single_frames(segmenters, backend: str) -> None:
    seg = segmenters[backend]
    frames = [_frame(320, 180, seed) for seed in range(5)]
    batched = seg.batch(frames, batch_size=2)  # 2 + 2 + 1: also covers a short last chunk
    assert len(batched) == len(frames)
    for frame, mask in zip(frames, batched, strict=True):
        np.testing.assert_allclose(mask, seg(frame), atol=1e-5)
    assert seg.batch([]) == []


def test_batch_refuses_mixed_sizes(segmenters) -> None:
    with pytest.raises(ValueError, match="frames of one size"):
        segmenters["onnxruntime"].batch([_frame(320, 180), _frame(320, 240)])


BAD_FRAMES = [
    pytest.param(np.zeros((72, 128, 3), np.float32), ValueError, id="float32"),
    pytest.param(np.zeros((72, 128), np.uint8), ValueError, id="2-D"),
    pytest.param(np.zeros((72, 128, 4), np.uint8), ValueError, id="4 channels"),
    pytest.param(np.zeros((0, 128, 3), np.uint8), ValueError, id="empty"),
    pytest.param([[[0, 0, 0]]], TypeError, id="list"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("frame", "error"), BAD_FRAMES)
def test_bad_frames_are_refused_with_what_was_expected(segmenters, backend, frame, error) -> None:
    seg = segmenters[backend]
    for call in (seg, seg.low_res, seg.infer, seg.model_input, lambda f: seg.batch([f])):
        with pytest.raises(error, match="expected"):
            call(frame)


def test_onnx_agrees_with_torch_on_real_photos(segmenters, real_photos) -> None:
    for photo in real_photos:
        on_torch, on_onnx = segmenters["torch"](photo), segmenters["onnxruntime"](photo)
        assert on_torch.std() > 1e-3, "flat masks would make the agreement check vacuous"
        assert float(np.abs(on_torch - on_onnx).max()) < 1e-3


def test_pixel_budget_changes_the_input_size(random_model_spec) -> None:
    seg = load_segmenter("cpu", "onnxruntime", spec_path=random_model_spec, threads=1, pixel_budget=320 * 180)
    assert seg.low_res(_frame(1280, 720)).shape == (176, 320)
    assert seg(_frame(1280, 720)).shape == (720, 1280)


# --- choosing device and backend ------------------------------------------------------------------------------------


def test_auto_picks_what_this_machine_can_run() -> None:
    if cuda_available():
        assert resolve_device_and_backend("auto", "auto", has_onnx=True) == ("cuda", "torch")
    else:
        assert resolve_device_and_backend("auto", "auto", has_onnx=True) == ("cpu", "onnxruntime")
        assert resolve_device_and_backend("auto", "auto", has_onnx=False) == ("cpu", "torch")


def test_auto_backend_on_cpu() -> None:
    assert resolve_device_and_backend("cpu", "auto", has_onnx=True) == ("cpu", "onnxruntime")
    assert resolve_device_and_backend("cpu", "auto", has_onnx=False) == ("cpu", "torch")
    assert resolve_device_and_backend("cpu", "torch", has_onnx=True) == ("cpu", "torch")


def test_load_segmenter_auto_uses_onnxruntime_on_the_cpu(random_model_spec) -> None:
    if cuda_available():
        pytest.skip("a CUDA GPU is visible, so auto picks torch on CUDA")
    seg = load_segmenter(spec_path=random_model_spec, threads=1)
    assert (seg.info.backend, seg.info.device) == ("onnxruntime", "cpu")


def test_cuda_without_a_gpu_is_refused() -> None:
    if cuda_available():
        pytest.skip("a CUDA GPU is visible")
    with pytest.raises(ValueError, match=r"^device 'cuda' cannot be used: .+; or use the CPU \(--device cpu\)$"):
        resolve_device_and_backend("cuda", "auto", has_onnx=True)


@pytest.mark.cuda
def test_onnxruntime_on_cuda_is_refused() -> None:
    with pytest.raises(ValueError, match="use the torch backend for CUDA"):
        resolve_device_and_backend("cuda", "onnxruntime", has_onnx=True)


@pytest.mark.parametrize(("device", "backend"), [("gpu", "auto"), ("cpu", "tensorrt")])
def test_unknown_choices_are_refused(device: str, backend: str) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        resolve_device_and_backend(device, backend, has_onnx=True)


# --- model input sizing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080), (640, 360), (3840, 2160), (256, 144)])
def test_16_9_frames_get_exactly_256x144(width: int, height: int) -> None:
    assert model_input_size(width, height) == (256, 144)


@pytest.mark.parametrize(("width", "height"), [(0, 720), (1280, 0), (-1, 5)])
def test_non_positive_frame_sizes_are_refused(width: int, height: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        model_input_size(width, height)


@settings(max_examples=300, deadline=None)
@given(
    width=st.integers(16, 4096),
    aspect=st.floats(0.4, 2.5),
    budget=st.integers(96 * 96, 640 * 360),
)
def test_input_size_is_multiple_of_16_near_budget_and_aspect(width: int, aspect: float, budget: int) -> None:
    height = max(1, round(width / aspect))
    model_width, model_height = model_input_size(width, height, budget)
    assert model_width % 16 == 0 and model_height % 16 == 0
    assert model_width >= 16 and model_height >= 16
    frame_aspect = width / height
    # Rounding moves each side by at most 8 px, so the aspect ratio is off by at most about 8 / width.
    assert abs(model_width / model_height - frame_aspect) / frame_aspect <= 8 / model_width + 8 / model_height + 1e-9
    assert 0.6 <= model_width * model_height / budget <= 1.6


# --- the resize to the model's input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "step"),
    [
        ((1920, 1080), (256, 144), (640, 360)),  # 7.5x: 3x first, leaving 2.5x
        ((1280, 720), (320, 176), (640, 360)),
        ((1280, 720), (256, 144), None),  # 5x both ways: already OpenCV's fast path
        ((640, 352), (256, 144), None),  # 2.5x: no whole factor leaves twice the target
        ((641, 359), (160, 96), None),  # prime sides: no whole factor divides them
        ((256, 144), (256, 144), None),
    ],
)
def test_integer_area_step(source: tuple[int, int], target: tuple[int, int], step: tuple[int, int] | None) -> None:
    assert integer_area_step(*source, *target) == step


@settings(max_examples=300, deadline=None)
@given(source=st.tuples(st.integers(16, 4096), st.integers(16, 4096)), shrink=st.floats(1.0, 12.0))
def test_an_integer_area_step_divides_the_source_and_leaves_twice_the_target(
    source: tuple[int, int], shrink: float
) -> None:
    target = (max(1, int(source[0] / shrink)), max(1, int(source[1] / shrink)))
    step = integer_area_step(*source, *target)
    if step is not None:
        assert step != source
        for full, small, middle in zip(source, target, step, strict=True):
            assert full % middle == 0 and (middle == full or middle >= 2 * small)


@pytest.mark.parametrize(("width", "height", "budget"), [(1920, 1080, 256 * 144), (1280, 720, 320 * 176)])
def test_the_two_step_resize_averages_as_a_direct_one(width: int, height: int, budget: int) -> None:
    """Through a whole-factor step, the model's input stays INTER_AREA's averaging: within a fifth of a grey level
    on average and 2 at most on this smooth frame."""
    import cv2

    frame = _frame(width, height)
    small = resize_for_model(frame, budget)
    direct = cv2.resize(frame, small.shape[1::-1], interpolation=cv2.INTER_AREA)
    difference = np.abs(small.astype(int) - direct)
    assert difference.mean() < 0.2 and difference.max() <= 2
