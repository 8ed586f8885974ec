"""The torch frame ops (the render step's full-resolution half on the GPU) against the OpenCV path they replace.

Every op runs on the CPU here and, marked ``cuda``, on a GPU where there is one. Agreement: grey conversion and
compositing are bit-exact; resizes, the guided upsampling and the blur within 1 grey level (OpenCV's uint8 resizes
work in fixed point); the whole render step within 2 levels on at least 99.9% of pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.engine.backgrounds import blur_around
from app.engine.composite import composite, mask_preview
from app.engine.device_finish import DeviceFinisher, frame_ops_for
from app.engine.refine import GuidedUpsampler, folded_coefficients, to_grey
from app.engine.renderer import FrameRenderer, Rendered
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings
from segmentation import Backend, BackendInfo, Device, Precision, Segmenter
from segmentation.inference.edge_refiner import ClassicGuidedFilter
from segmentation.inference.preprocess import resize_for_model

torch = pytest.importorskip("torch")
ops = pytest.importorskip("app.engine.torch_frame_ops")

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]
SIZES = [(641, 359), (1280, 720), (640, 480)]  # odd, 16:9, 4:3


def _scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """(H, W, 3) uint8 RGB: smooth gradients, hard edges, a bright disc and noise (every op's hard cases)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frame = np.stack([x / width * 255, y / height * 255, (x + y) % 97 * 2.6], axis=-1)
    frame[:, width // 3 : width // 2] = (250, 10, 30)
    frame[((x - width * 0.7) ** 2 + (y - height * 0.4) ** 2) < (height / 5) ** 2] = 255
    frame += rng.normal(0, 12, frame.shape)
    return frame.clip(0, 255).astype(np.uint8)


def _person(width: int, height: int) -> np.ndarray:
    """(H, W) uint8 alpha: a soft-edged head-and-shoulders blob."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    inside = ((x - width / 2) / (width / 5)) ** 2 + ((y - height) / (height / 1.4)) ** 2 < 1
    return cv2.GaussianBlur(inside.astype(np.uint8) * 255, (0, 0), 3)


def _on(device: str, array: np.ndarray):
    return torch.from_numpy(array).to(device)


def _max_difference(ours, reference: np.ndarray) -> int:
    ours = ours.cpu().numpy() if hasattr(ours, "cpu") else ours
    assert ours.shape == reference.shape and ours.dtype == reference.dtype
    return int(np.abs(ours.astype(np.int32) - reference.astype(np.int32)).max())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
def test_grey_is_bit_exact(device: str, size: tuple[int, int]) -> None:
    for frame in (_scene(*size), np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)):
        assert _max_difference(ops.to_grey(_on(device, frame)), to_grey(frame)) == 0


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", [*SIZES, (1920, 1080)])
def test_area_resize_matches_opencv(device: str, size: tuple[int, int]) -> None:
    """Integer factors (the blur's 1/4, 1/8, 1/16), the model input, and fractional factors on both axes."""
    width, height = size
    frame = _scene(width, height)
    targets = [(256, 144), (width // 4, height // 4), (width // 8, height // 8), (width // 16, height // 16)]
    for target in [*targets, (width // 7, height // 3), (width - 1, height - 2)]:
        reference = cv2.resize(frame, target, interpolation=cv2.INTER_AREA)
        assert _max_difference(ops.resize_area(_on(device, frame), *target), reference) <= 1, target


def test_area_resize_refuses_to_enlarge() -> None:
    with pytest.raises(ValueError, match="only downscales"):
        ops.resize_area(torch.zeros((10, 10, 3), dtype=torch.uint8), 20, 10)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
def test_linear_resize_matches_opencv(device: str, size: tuple[int, int]) -> None:
    width, height = size
    small = cv2.resize(_scene(width, height), (width // 5, height // 5), interpolation=cv2.INTER_AREA)
    reference = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    assert _max_difference(ops.resize_linear(_on(device, small), width, height), reference) <= 1
    coefficients = np.random.default_rng(2).normal(0, 3, (height // 5, width // 5, 2)).astype(np.float32)
    reference_float = cv2.resize(coefficients, size, interpolation=cv2.INTER_LINEAR)
    ours = ops.resize_linear(_on(device, coefficients), width, height).cpu().numpy()
    np.testing.assert_allclose(ours, reference_float, atol=1e-3)  # OpenCV rounds its weights


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", [(144, 256), (45, 80), (3, 4)])  # the last smaller than the kernels
def test_gaussian_blur_matches_opencv_with_its_border(device: str, shape: tuple[int, int]) -> None:
    image = np.random.default_rng(4).random((*shape, 3)).astype(np.float32) * 255
    for sigma in (0.6, 3.5, 9.0):
        reference = cv2.GaussianBlur(image, (0, 0), sigma)
        np.testing.assert_allclose(ops.gaussian_blur(_on(device, image), sigma).cpu().numpy(), reference, atol=1e-2)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("threshold", "feather"), [(0.5, 0.3), (0.2, 0.0), (0.9, 1.0)])
def test_guided_upsampling_matches_refine(device: str, size: tuple[int, int], threshold: float, feather: float) -> None:
    width, height = size
    frame = _scene(width, height)
    small = cv2.resize(frame, (256, 144), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(_person(width, height), (256, 144), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    mask = (mask + np.random.default_rng(5).normal(0, 0.05, mask.shape).astype(np.float32)).clip(0, 1)
    slope, level = ClassicGuidedFilter()(mask, to_grey(small))
    reference = GuidedUpsampler()(slope, level, to_grey(frame), threshold=threshold, feather=feather)
    folded = np.stack(folded_coefficients(slope, level, threshold=threshold, feather=feather), axis=-1)
    ours = ops.guided_alpha(_on(device, folded), _on(device, to_grey(frame)))
    assert 0 < reference.mean() < 255  # both person and room in the picture
    assert _max_difference(ours, reference) <= 1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("sigma", [8.0, 28.0, 70.0])  # reduced 4, 8 and 16 times
def test_blur_around_the_person_matches_opencv(device: str, size: tuple[int, int], sigma: float) -> None:
    frame, person = _scene(*size), _person(*size)
    reference = blur_around(frame, person, sigma=sigma)
    assert _max_difference(ops.blur_around(_on(device, frame), _on(device, person), sigma=sigma), reference) <= 1


@pytest.mark.parametrize("device", DEVICES)
def test_blur_around_a_person_filling_the_frame_uses_the_room_mean(device: str) -> None:
    frame, person = _scene(320, 180), np.full((180, 320), 255, np.uint8)
    person[:4, :4] = 0  # a corner of room, out of reach of most pixels
    reference = blur_around(frame, person, sigma=8.0)
    assert _max_difference(ops.blur_around(_on(device, frame), _on(device, person), sigma=8.0), reference) <= 1


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("size", SIZES)
def test_composite_and_preview_are_bit_exact(device: str, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(6)
    frame, background = _scene(*size), rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    ours = ops.composite(_on(device, frame), _on(device, background), _on(device, alpha))
    assert _max_difference(ours, composite(frame, background, alpha)) == 0
    assert _max_difference(ops.mask_preview(_on(device, alpha)), mask_preview(alpha)) == 0


@pytest.mark.parametrize("device", DEVICES)
def test_uploads_and_downloads_keep_every_byte(device: str) -> None:
    staging = ops.StagingBuffers(torch.device(device))
    frames = [_scene(641, 359, seed) for seed in range(3)]
    uploaded = [staging.upload(frame, "frame") for frame in frames]  # the same slot, one after the other
    assert all(tensor.device.type == device for tensor in uploaded)
    for frame, tensor in zip(frames, uploaded, strict=True):
        back = ops.download(tensor.clone())
        np.testing.assert_array_equal(back, frame)
        assert not np.shares_memory(back, frame)


class SoftSegmenter(Segmenter):
    """A real ``Segmenter`` over a backend whose soft mask follows a blob and the frame's own red channel, so the
    guided filter and the temporal smoother have edges and texture to work on. ``info`` says torch on ``device``."""

    def __init__(self, device: Device = Device.CPU) -> None:
        super().__init__(self._run, BackendInfo(Backend.TORCH, device, Precision.FLOAT32, "soft"))

    @staticmethod
    def _run(batch: np.ndarray) -> np.ndarray:
        _, _, height, width = batch.shape
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        blob = 1 - ((x - width / 2) / (width / 4)) ** 2 - ((y - height) / (height / 1.3)) ** 2
        return (6 * blob + 3 * (batch[:, :1] - 0.5)).astype(np.float32)


BACKGROUNDS = {
    "blur": BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=0.4),
    "colour": BackgroundSpec(kind=BackgroundKind.COLOR, color=(20, 200, 90)),
    "none": BackgroundSpec(kind=BackgroundKind.NONE),
}


def _picture(tmp_path, transparent: bool) -> BackgroundSpec:
    rgba = np.dstack([_scene(500, 400, seed=9), np.full((400, 500), 255, np.uint8)])
    if transparent:
        rgba[100:300, 100:300, 3] = 0
    path = tmp_path / f"picture-{transparent}.png"
    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA) if transparent else rgba[..., 2::-1])
    return BackgroundSpec(kind=BackgroundKind.IMAGE, path=path)


def _render_both(device: str, spec: BackgroundSpec, size: tuple[int, int], frames: int = 3):
    """The same frames through the OpenCV path and the torch path (forced onto ``device``)."""
    opencv = FrameRenderer(SoftSegmenter(), use_guard=False)
    on_device = FrameRenderer(SoftSegmenter(), use_guard=False, frame_ops_device=device)
    assert opencv.frame_ops is None and isinstance(on_device.frame_ops, DeviceFinisher)
    settings = RenderSettings(background=spec, smoothing=0.6, threshold=0.45, feather=0.4)
    for index in range(frames):
        frame = np.roll(_scene(*size, seed=index), 3 * index, axis=1)  # moving: the smoother follows
        expected, ours = opencv.render(frame, settings), on_device.render(frame, settings)
        assert not expected.safe_frame and not ours.safe_frame and ours.error is None
        assert on_device.frame_ops.failures == 0, on_device.frame_ops.last_failure
        yield frame, expected.rgb, ours.rgb


def _assert_close(expected: np.ndarray, ours: np.ndarray) -> None:
    difference = np.abs(expected.astype(np.int32) - ours.astype(np.int32))
    assert (difference <= 2).mean() >= 0.999, f"{(difference > 2).mean():.5f} of pixels differ by more than 2"
    assert difference.max() <= 4


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", BACKGROUNDS)
@pytest.mark.parametrize("size", SIZES)
def test_render_step_on_the_device_matches_the_opencv_path(device: str, kind: str, size: tuple[int, int]) -> None:
    for frame, expected, ours in _render_both(device, BACKGROUNDS[kind], size):
        _assert_close(expected, ours)
        assert not np.array_equal(ours, frame)  # the background really replaced the room


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("transparent", [False, True])
def test_render_step_with_a_picture_matches_the_opencv_path(device: str, transparent: bool, tmp_path) -> None:
    for _, expected, ours in _render_both(device, _picture(tmp_path, transparent), (641, 359)):
        _assert_close(expected, ours)


def _colour_frame_and_its_opencv_render() -> tuple[np.ndarray, RenderSettings, np.ndarray]:
    frame, settings = _scene(320, 180), RenderSettings(background=BACKGROUNDS["colour"], smoothing=0)
    return frame, settings, FrameRenderer(SoftSegmenter(), use_guard=False).render(frame, settings).rgb


def _raising(message: str):
    """A stand-in for a device op that fails as a GPU does."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(message)

    return broken


def test_a_failing_device_step_finishes_the_frame_on_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """A device error never shows the room: the frame is finished by OpenCV; after three in a row the device is
    left alone."""
    frame, settings, expected = _colour_frame_and_its_opencv_render()
    monkeypatch.setattr(ops, "composite", _raising("CUDA error: an illegal memory access was encountered"))
    renderer = FrameRenderer(SoftSegmenter(), use_guard=False, frame_ops_device="cpu")
    assert renderer.frame_ops is not None
    for attempt in range(1, DeviceFinisher.MAX_FAILURES + 2):
        result = renderer.render(frame, settings)
        assert not result.safe_frame and result.error is None
        np.testing.assert_array_equal(result.rgb, expected)
        assert renderer.frame_ops.failures == min(attempt, DeviceFinisher.MAX_FAILURES)
    assert not renderer.frame_ops.active
    assert "illegal memory access" in str(renderer.frame_ops.last_failure)


def test_the_device_path_is_chosen_only_for_torch_on_cuda() -> None:
    onnx = BackendInfo(Backend.ONNXRUNTIME, Device.CPU, Precision.FLOAT32, "m")
    torch_cpu = BackendInfo(Backend.TORCH, Device.CPU, Precision.FLOAT32, "m")
    torch_cuda = BackendInfo(Backend.TORCH, Device.CUDA, Precision.FLOAT16, "m")
    assert frame_ops_for("auto", onnx) is None and frame_ops_for("auto", torch_cpu) is None
    chosen = frame_ops_for("auto", torch_cuda)
    assert chosen is not None and chosen.device.type == "cuda"
    assert frame_ops_for("opencv", torch_cuda) is None
    forced = frame_ops_for("cpu", onnx)
    assert forced is not None and forced.device.type == "cpu"
    renderer = FrameRenderer(SoftSegmenter(Device.CUDA), use_guard=False)
    assert renderer.frame_ops is not None
    renderer.set_segmenter(SoftSegmenter(Device.CPU))  # the engine's swap to the CPU after a GPU failure
    assert renderer.frame_ops is None


@pytest.mark.parametrize("size", [(641, 359), (1920, 1080)])  # a direct shrink; one through a whole-factor step
def test_the_frame_goes_up_once_and_is_resized_on_the_device(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """With the frame ops on a device, the frame is uploaded once: resized there for the model, and the same upload
    is finished there; the model sees what the CPU's ``resize_for_model`` would give it, within 1 level."""
    renderer = FrameRenderer(SoftSegmenter(), use_guard=False, frame_ops_device="cpu")
    assert renderer.frame_ops is not None
    slots: list[str] = []
    upload = ops.StagingBuffers.upload

    def recording(self, array: np.ndarray, slot: str):
        slots.append(slot)
        return upload(self, array, slot)

    monkeypatch.setattr(ops.StagingBuffers, "upload", recording)
    frame, settings = _scene(*size), RenderSettings(background=BACKGROUNDS["blur"], smoothing=0)
    masked = renderer.segment(frame, settings)
    assert not isinstance(masked, Rendered) and masked.device_frame is not None
    expected_small = resize_for_model(frame, renderer.quality.level(settings.quality).pixel_budget)
    expected_grey = cv2.cvtColor(expected_small, cv2.COLOR_RGB2GRAY)
    assert masked.small_grey.shape == expected_grey.shape
    assert np.abs(masked.small_grey.astype(int) - expected_grey).max() <= 1
    renderer.finish(masked, settings)
    assert slots.count("model frame") == 1 and "frame" not in slots  # finish reused the upload


def test_a_failing_device_resize_falls_back_to_the_cpu_resize(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, settings, expected = _colour_frame_and_its_opencv_render()
    monkeypatch.setattr(ops, "resize_area", _raising("CUDA error: out of memory"))
    renderer = FrameRenderer(SoftSegmenter(), use_guard=False, frame_ops_device="cpu")
    masked = renderer.segment(frame, settings)
    assert not isinstance(masked, Rendered) and masked.device_frame is None
    assert renderer.frame_ops is not None and renderer.frame_ops.failures == 1
    result = renderer.finish(masked, settings)
    assert not result.safe_frame and result.error is None
    _assert_close(expected, result.rgb)


def test_a_resized_frame_must_be_a_model_input() -> None:
    segmenter, frame = SoftSegmenter(), _scene(256, 144)
    np.testing.assert_array_equal(segmenter.infer_resized(frame).mask, segmenter.infer(frame, 256 * 144).mask)
    with pytest.raises(ValueError, match="multiples of 16"):
        segmenter.infer_resized(_scene(250, 144))
    with pytest.raises(ValueError):
        segmenter.infer_resized(frame.astype(np.float32))
