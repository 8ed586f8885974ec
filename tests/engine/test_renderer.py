"""The render step: background swaps, mask interval reuse and the fail-safe that never shows the room."""

import time

import cv2
import numpy as np
import pytest

from app.engine.backgrounds import BlurBackground
from app.engine.quality import LADDER
from app.engine.renderer import FrameRenderer, Rendered
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings
from segmentation import Backend, BackendInfo, Device, LowResMask, Precision, Segmenter

RED = BackgroundSpec(kind=BackgroundKind.COLOR, color=(255, 0, 0))
BLUE = BackgroundSpec(kind=BackgroundKind.COLOR, color=(0, 0, 255))


class ScriptedSegmenter(Segmenter):
    """A real ``Segmenter`` over a scripted backend: a left-half person (logits of +-30, so a mask of exactly 1 and
    0), or a backend that raises or stalls on demand. ``input_pixels`` is the size of the last input it saw."""

    def __init__(self, behaviour: str = "ok", delay: float = 0.0) -> None:
        super().__init__(self._run, BackendInfo(Backend.ONNXRUNTIME, Device.CPU, Precision.FLOAT32, "scripted"))
        self.behaviour, self.delay, self.calls, self.input_pixels = behaviour, delay, 0, 0

    def _run(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.input_pixels = batch.shape[2] * batch.shape[3]
        if self.behaviour == "raise":
            raise RuntimeError("backend exploded")
        if self.behaviour == "stall":
            time.sleep(self.delay)
        logits = np.full((batch.shape[0], 1, *batch.shape[2:]), -30.0, np.float32)
        logits[..., : batch.shape[3] // 2] = 30.0
        return logits


def _room() -> np.ndarray:
    """A 'room' with a pattern no background or safe frame could produce by accident."""
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (180, 320, 3), dtype=np.uint8)


def test_background_swap_applies_at_the_next_frame() -> None:
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False)
    frame = _room()
    red = renderer.render(frame, RenderSettings(background=RED, smoothing=0, feather=0)).rgb
    blue = renderer.render(frame, RenderSettings(background=BLUE, smoothing=0, feather=0)).rgb
    assert tuple(red[90, 300]) == (255, 0, 0)
    assert tuple(blue[90, 300]) == (0, 0, 255)
    np.testing.assert_array_equal(blue[:, :100], frame[:, :100])  # the person side is the camera image


def test_the_blurred_room_has_no_glow_of_the_person() -> None:
    """The blur background leaves the person (left half, bright red) out: the room beside them stays grey."""
    frame = np.full((180, 320, 3), 128, np.uint8)
    frame[:, :160] = (230, 20, 40)
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False)
    out = renderer.render(frame, RenderSettings(background=BackgroundSpec(kind=BackgroundKind.BLUR), smoothing=0)).rgb
    beside = out[:, 168:200].astype(int)  # within 40 px of the person's edge
    assert np.abs(beside - 128).max() <= 2


@pytest.mark.parametrize("strength", [0.0, 0.6, 1.0])
def test_a_blur_strength_hides_the_room_as_much_at_4k_as_at_540p(strength: float) -> None:
    """The same scene (blocks of 20 px at 540p, 80 px at 4K, a person in the middle) blurred at both sizes: seen at
    one size, the two blurred rooms match."""
    blocks = np.random.default_rng(0).integers(0, 256, (27, 48, 3), dtype=np.uint8)
    small = cv2.resize(blocks, (960, 540), interpolation=cv2.INTER_NEAREST)
    large = cv2.resize(blocks, (3840, 2160), interpolation=cv2.INTER_NEAREST)
    person = np.zeros((540, 960), np.uint8)
    person[200:, 380:580] = 255
    background = BlurBackground(strength)
    blurred_small = background.render(small, person).astype(int)
    large_person = cv2.resize(person, (3840, 2160), interpolation=cv2.INTER_NEAREST)
    blurred_large = cv2.resize(background.render(large, large_person), (960, 540), interpolation=cv2.INTER_AREA)
    room = person == 0
    assert np.abs(blurred_small - blurred_large.astype(int))[room].mean() < 2.0  # grey levels


def test_mask_view_shows_the_alpha() -> None:
    renderer = FrameRenderer(ScriptedSegmenter(), use_guard=False)
    out = renderer.render(_room(), RenderSettings(background=BackgroundSpec(kind=BackgroundKind.NONE))).rgb
    assert (out[:, :, 0] == out[:, :, 1]).all() and out[90, 20, 0] > 200 and out[90, 300, 0] < 50


@pytest.mark.parametrize("behaviour", ["raise", "stall"])
def test_failing_segmentation_never_shows_the_room(behaviour: str) -> None:
    segmenter = ScriptedSegmenter(behaviour, delay=1.0)
    renderer = FrameRenderer(segmenter, stall_timeout=0.1)
    frame = _room()
    started = time.monotonic()
    result = renderer.render(frame, RenderSettings(background=RED))
    assert time.monotonic() - started < 0.5  # bounded: the stream keeps moving
    assert result.safe_frame and result.error and "safe frame" in result.error
    assert np.abs(result.rgb.astype(int) - frame.astype(int)).mean() > 40  # nothing like the room
    assert result.rgb.std() < frame.std() / 4  # heavily blurred
    renderer.close()


def test_after_a_failure_the_last_good_output_is_frozen() -> None:
    segmenter = ScriptedSegmenter()
    renderer = FrameRenderer(segmenter, stall_timeout=0.2)
    good = renderer.render(_room(), RenderSettings(background=RED)).rgb
    segmenter.behaviour = "raise"
    result = renderer.render(_room()[::-1].copy(), RenderSettings(background=RED))
    assert result.safe_frame
    np.testing.assert_array_equal(result.rgb, good)
    segmenter.behaviour = "ok"
    assert not renderer.render(_room(), RenderSettings(background=RED)).safe_frame
    renderer.close()


def test_speed_levels_reuse_masks_between_refreshes() -> None:
    segmenter = ScriptedSegmenter()
    renderer = FrameRenderer(segmenter, use_guard=False)
    renderer.quality.index = 4  # a ladder level with a new mask every 2 frames
    for _ in range(6):
        renderer.render(_room(), RenderSettings(quality=QualityMode.ADAPTIVE))
    assert segmenter.calls == 3
    assert renderer.level is not None and renderer.level.mask_interval == 2


def _render_slow_frames(mode: QualityMode) -> tuple[FrameRenderer, ScriptedSegmenter, int]:
    """20 frames of 30 ms at a 60 fps target in ``mode``: (renderer, segmenter, the ladder index before)."""
    segmenter = ScriptedSegmenter("stall", delay=0.03)
    renderer = FrameRenderer(segmenter, use_guard=False)
    start_index = renderer.quality.index
    for _ in range(20):
        renderer.render(_room(), RenderSettings(quality=mode, target_fps=60))
    return renderer, segmenter, start_index


def test_adaptive_quality_steps_down_when_frames_are_slow() -> None:
    renderer, segmenter, start_index = _render_slow_frames(QualityMode.ADAPTIVE)
    assert renderer.quality.index > start_index
    assert segmenter.input_pixels < 256 * 144


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (720, 480), (1280, 1024), (480, 640)])
def test_every_camera_shape_renders_at_every_quality_level(segmenter, width: int, height: int) -> None:
    """Real model, common camera shapes (4:3, 16:9, 3:2, 5:4, portrait): the mask must match the small frame that
    the smoother and the guided filter use at every ladder level, or the render step fails on that camera."""
    renderer = FrameRenderer(segmenter, use_guard=False)
    frame = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    for index in range(len(LADDER)):
        renderer.quality.index = index
        for _ in range(2):  # the second frame goes through the temporal smoother with the first one's mask
            result = renderer.render(frame, RenderSettings(background=RED, quality=QualityMode.ADAPTIVE))
            assert not result.safe_frame and result.error is None
            assert result.rgb.shape == (height, width, 3)
    renderer.close()


def test_an_unexpected_error_gives_a_safe_frame_not_a_dead_render_thread() -> None:
    class WrongSizeSegmenter(ScriptedSegmenter):
        """Returns a mask that does not match the small frame: a bug of the kind that once broke 4:3 cameras."""

        def infer(self, rgb: np.ndarray, pixel_budget: int | None = None) -> LowResMask:
            small = self.model_input(rgb, pixel_budget)
            return LowResMask(small, np.ones((small.shape[0] + 16, small.shape[1] + 16), np.float32))

    renderer = FrameRenderer(WrongSizeSegmenter(), use_guard=False)
    frame = _room()
    for _ in range(2):
        result = renderer.render(frame, RenderSettings(background=RED))
        assert result.safe_frame and result.error is not None and "returned a mask of shape (160, 272)" in result.error
        assert result.rgb.shape == frame.shape
        assert np.abs(result.rgb.astype(int) - frame).mean() > 40  # the blurred room, never the room itself


def test_a_fixed_quality_mode_leaves_the_adaptive_ladder_alone() -> None:
    renderer, segmenter, start_index = _render_slow_frames(QualityMode.QUALITY)
    assert renderer.quality.index == start_index
    assert segmenter.input_pixels == 320 * 176  # the quality level's 320x180 budget, in multiples of 16


class EdgesThatMarkTheRightHalf:
    """Edge coefficients that ignore the mask and mark the frame's right half as person: only a renderer that takes
    its upsampling from ``Segmenter.edges`` composites them."""

    def __call__(self, mask: np.ndarray, small_grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        slope = np.zeros_like(mask)
        level = np.zeros_like(mask)
        level[:, mask.shape[1] // 2 + 2 :] = 1.0
        return slope, level


@pytest.mark.parametrize("frame_ops_device", ["opencv", pytest.param("cpu", marks=pytest.mark.slow)])
def test_the_render_step_upsamples_with_the_segmenters_edges(frame_ops_device: str) -> None:
    if frame_ops_device == "cpu":
        pytest.importorskip("torch")
    segmenter = ScriptedSegmenter()  # its mask: the left half
    segmenter.edges = EdgesThatMarkTheRightHalf()
    renderer = FrameRenderer(segmenter, use_guard=False, frame_ops_device=frame_ops_device)
    frame = _room()
    out = renderer.render(frame, RenderSettings(background=RED, smoothing=0, feather=0)).rgb
    np.testing.assert_array_equal(out[:, 200:], frame[:, 200:])  # the edges' person: the camera image
    assert (out[:, :140] == (255, 0, 0)).all()  # the mask's person, which the edges do not mark: background


def test_a_stream_starts_at_the_segmenters_own_input_size() -> None:
    segmenter = ScriptedSegmenter()
    assert FrameRenderer(segmenter).quality.level(QualityMode.ADAPTIVE).pixel_budget == 256 * 144
    segmenter = Segmenter(
        segmenter._run, segmenter.info, pixel_budget=288 * 160
    )  # the shipped spec's budget, on the scripted backend
    renderer = FrameRenderer(segmenter, use_guard=False)
    renderer.render(_room(), RenderSettings(quality=QualityMode.ADAPTIVE))
    assert renderer.level is not None and renderer.level.pixel_budget == 288 * 160


def test_a_frame_resized_ahead_is_used_and_one_of_another_size_is_not() -> None:
    """A pipeline stage may resize the next frame for the model; ``segment`` runs the model on that very frame."""
    segmenter = ScriptedSegmenter()
    renderer = FrameRenderer(segmenter, use_guard=False)
    settings = RenderSettings(quality=QualityMode.ADAPTIVE)
    room = _room()
    budget = renderer.model_input_budget(settings)
    assert budget == 256 * 144
    marked = segmenter.model_input(room, budget).copy()
    marked[:8] = 255  # a frame no resize of the room gives: it must be the one the model saw
    masked = renderer.segment(room, settings, marked)
    assert not isinstance(masked, Rendered)
    assert np.array_equal(masked.small_grey, cv2.cvtColor(marked, cv2.COLOR_RGB2GRAY))
    wrong_size = cv2.resize(marked, (128, 80))
    masked = renderer.segment(room, settings, wrong_size)
    assert not isinstance(masked, Rendered)
    assert np.array_equal(masked.small_grey, cv2.cvtColor(segmenter.model_input(room, budget), cv2.COLOR_RGB2GRAY))


def test_a_frame_resized_ahead_that_is_not_an_rgb_model_input_is_resized_again_not_a_failure() -> None:
    """A grey or float frame of the model input's size must not reach the model: the frame is resized here."""
    segmenter = ScriptedSegmenter()
    renderer = FrameRenderer(segmenter, use_guard=False)
    settings = RenderSettings(quality=QualityMode.ADAPTIVE)
    room = _room()
    proper = segmenter.model_input(room, renderer.model_input_budget(settings))
    for wrong in (cv2.cvtColor(proper, cv2.COLOR_RGB2GRAY), proper.astype(np.float32), proper[..., :2].copy()):
        masked = renderer.segment(room, settings, wrong)
        assert not isinstance(masked, Rendered)
        assert np.array_equal(masked.small_grey, cv2.cvtColor(proper, cv2.COLOR_RGB2GRAY))
