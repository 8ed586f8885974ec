"""The second look at a small person (``segmentation/inference/zoom.py``): where it crops, how its mask lands in the
frame's grid, and that ``Segmenter`` and the render step use it on both of the renderer's paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.renderer import FrameRenderer
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings
from segmentation import Backend, BackendInfo, Device, Precision, Segmenter, model_input_size
from segmentation.inference.zoom import (
    BELOW,
    MARGIN,
    MAX_AREA,
    SIDE_LADDER,
    ZoomCrop,
    paste_detail,
    zoom_crop,
)

BUDGET = 256 * 144
GREEN = BackgroundSpec(kind=BackgroundKind.COLOR, color=(0, 255, 0))


def _mask_with_box(width: int, height: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """(height, width) float32 mask: 0.9 inside ``box`` (x0, y0, x1, y1, cells), 0.1 elsewhere."""
    mask = np.full((height, width), 0.1, np.float32)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 0.9
    return mask


def test_no_person_and_a_near_person_get_no_second_pass() -> None:
    assert zoom_crop(np.full((144, 256), 0.4, np.float32), 1280, 720, BUDGET) is None
    assert zoom_crop(_mask_with_box(256, 144, (60, 10, 200, 144)), 1280, 720, BUDGET) is None  # 55% of the frame


def test_a_distant_person_is_cropped_with_a_margin_on_the_grid() -> None:
    box = (100, 50, 110, 90)  # 10x40 cells: 50x200 frame pixels
    crop = zoom_crop(_mask_with_box(256, 144, box), 1280, 720, BUDGET)
    assert crop is not None
    x0, y0, x1, y1 = crop.cells
    margin_cells = MARGIN * 40  # the longer side, in cells (5 px a cell on both axes)
    assert x1 - x0 >= 10 + 2 * margin_cells and y1 - y0 >= 40 + 2 * margin_cells
    assert x0 <= box[0] and x1 >= box[2] and y0 <= box[1] and y1 >= box[3]
    assert crop.pixels == (x0 * 5, y0 * 5, x1 * 5, y1 * 5)
    assert (x1 - x0) * (y1 - y0) <= MAX_AREA * 256 * 144


def test_a_person_found_in_part_is_looked_at_further_below() -> None:
    """A head and shoulders found above a desk, or a torso over dark trousers: the rest of the person is below, so
    the crop reaches ``BELOW`` of the box's height under it, further than the margin above."""
    box = (100, 30, 116, 60)  # 16x30 cells: 80x150 frame pixels
    crop = zoom_crop(_mask_with_box(256, 144, box), 1280, 720, BUDGET)
    assert crop is not None
    _, y0, _, y1 = crop.cells
    assert y1 >= box[3] + BELOW * 30
    assert y1 - box[3] > box[1] - y0
    assert y0 <= box[1] - MARGIN * 30


def test_a_person_too_large_to_look_further_below_keeps_the_margin_crop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reaching ``BELOW`` under a head and shoulders of 75x60 cells would need over ``MAX_AREA`` of the frame; the
    crop with ``MARGIN`` alone still gets its second pass."""
    mask = _mask_with_box(256, 144, (100, 0, 175, 60))
    crop = zoom_crop(mask, 1280, 720, BUDGET)
    monkeypatch.setattr("segmentation.inference.zoom.BELOW", 0.0)
    assert crop is not None and crop == zoom_crop(mask, 1280, 720, BUDGET)


def test_a_still_person_keeps_one_crop_while_the_mask_wavers() -> None:
    """A cell more or less at the box's edge, or a stray cell of clutter, leaves the crop where it was."""
    crop = zoom_crop(_mask_with_box(256, 144, (100, 50, 120, 80)), 1280, 720, BUDGET)
    for box in [(101, 50, 120, 80), (100, 51, 121, 81), (99, 49, 119, 80)]:
        assert zoom_crop(_mask_with_box(256, 144, box), 1280, 720, BUDGET) == crop
    cluttered = _mask_with_box(256, 144, (100, 50, 120, 80))
    cluttered[130, 10] = 0.9  # one cell of a lamp at the far side of the room
    assert zoom_crop(cluttered, 1280, 720, BUDGET) == crop


def test_one_stray_cell_still_gets_a_crop_big_enough_to_hold_a_person() -> None:
    crop = zoom_crop(_mask_with_box(256, 144, (30, 20, 31, 21)), 1280, 720, BUDGET)
    assert crop is not None
    x0, y0, x1, y1 = crop.pixels
    assert x1 - x0 >= SIDE_LADDER[-1] * 1280 and y1 - y0 >= SIDE_LADDER[-1] * 720
    assert min(x0, y0) >= 0 and x1 <= 1280 and y1 <= 720


def test_a_person_at_the_edge_is_cropped_within_the_frame() -> None:
    crop = zoom_crop(_mask_with_box(256, 144, (250, 130, 256, 144)), 1280, 720, BUDGET)
    assert crop is not None
    x0, y0, x1, y1 = crop.cells
    assert x1 == 256 and y1 == 144 and x0 < 250 and y0 < 130


@settings(max_examples=150, deadline=None)
@given(
    frame=st.sampled_from([(1280, 720), (640, 352), (1920, 1080), (720, 1280), (4096, 2160)]),
    budget=st.sampled_from([160 * 96, 256 * 144, 320 * 176, 480 * 272]),
    left=st.floats(0, 0.95),
    top=st.floats(0, 0.95),
    width=st.floats(0.005, 0.6),
    height=st.floats(0.005, 0.6),
)
def test_a_crop_never_magnifies_and_never_leaves_the_frame(frame, budget, left, top, width, height) -> None:
    """Whatever the box, the crop holds at least the budget's camera pixels (the second pass never blurs them by
    enlarging), lies within the frame and within the grid, and covers at most ``MAX_AREA`` of the frame."""

    grid_width, grid_height = model_input_size(*frame, budget)
    x0, y0 = int(left * grid_width), int(top * grid_height)
    box = (
        x0,
        y0,
        min(grid_width, x0 + max(1, int(width * grid_width))),
        min(grid_height, y0 + max(1, int(height * grid_height))),
    )
    crop = zoom_crop(_mask_with_box(grid_width, grid_height, box), *frame, budget)
    if crop is None:
        return
    cx0, cy0, cx1, cy1 = crop.cells
    assert 0 <= cx0 <= box[0] and box[2] <= cx1 <= grid_width and 0 <= cy0 <= box[1] and box[3] <= cy1 <= grid_height
    px0, py0, px1, py1 = crop.pixels
    assert 0 <= px0 < px1 <= frame[0] and 0 <= py0 < py1 <= frame[1]
    assert (px1 - px0) * (py1 - py0) >= min(budget, frame[0] * (py1 - py0), (px1 - px0) * frame[1]) * 0.99
    assert (cx1 - cx0) * (cy1 - cy0) <= MAX_AREA * grid_width * grid_height + grid_width + grid_height


def test_the_detail_is_averaged_onto_the_crop_cells_only() -> None:
    mask = np.full((144, 256), 0.2, np.float32)
    crop = ZoomCrop((10, 20, 74, 56), (50, 100, 370, 280))
    detail = np.zeros((144, 256), np.float32)
    detail[::2] = 1.0  # every other row: averaged in 4x4 blocks, one half
    composed = paste_detail(mask, crop, detail)
    np.testing.assert_allclose(composed[20:56, 10:74], 0.5, atol=1e-6)
    composed[20:56, 10:74] = 0.2
    np.testing.assert_array_equal(composed, mask)
    assert mask.max() == pytest.approx(0.2)  # the first pass's mask is left as it was


def test_a_detail_of_certain_person_stays_within_0_and_1() -> None:
    """INTER_AREA averages in float32: a block of 1.0s can come out as 1.0000001, which the render step's check on
    masks refuses (a safe frame instead of the person)."""
    crop = ZoomCrop((100, 40, 144, 119), (500, 200, 720, 595))  # 44x79 cells
    detail = np.ones((258, 198), np.float32)
    detail[:, :66] = 0.040973525  # with these sizes, a cell of the 1.0s averages to 1.0000001 unclipped
    composed = paste_detail(np.zeros((144, 256), np.float32), crop, detail)
    assert composed.min() >= 0.0 and composed.max() <= 1.0
    assert composed[40:119, 140:144].min() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("crop", "detail"),
    [
        (ZoomCrop((10, 20, 300, 56), (0, 0, 1, 1)), np.zeros((8, 8), np.float32)),
        (ZoomCrop((10, 20, 10, 56), (0, 0, 1, 1)), np.zeros((8, 8), np.float32)),
        (ZoomCrop((10, 20, 74, 56), (0, 0, 1, 1)), np.zeros((8, 8, 1), np.float32)),
        (ZoomCrop((10, 20, 74, 56), (0, 0, 1, 1)), np.zeros((0, 8), np.float32)),
    ],
    ids=["past the grid", "empty crop", "3-D detail", "empty detail"],
)
def test_a_detail_that_does_not_fit_is_refused(crop: ZoomCrop, detail: np.ndarray) -> None:
    with pytest.raises(ValueError):
        paste_detail(np.zeros((144, 256), np.float32), crop, detail)


class BrightnessSegmenter(Segmenter):
    """A real ``Segmenter`` over a backend that calls bright pixels person (steep logits around mid-grey), so what
    it finds depends on how many camera pixels it sees across a thin limb. ``inputs`` records each input's (w, h);
    ``second_pass`` makes every later call of a frame return NaN ("garbage") instead."""

    def __init__(self, second_pass: str = "ok") -> None:
        super().__init__(self._run, BackendInfo(Backend.ONNXRUNTIME, Device.CPU, Precision.FLOAT32, "brightness"))
        self.inputs: list[tuple[int, int]] = []
        self.second_pass = second_pass

    def _run(self, batch: np.ndarray) -> np.ndarray:
        self.inputs.append((batch.shape[3], batch.shape[2]))
        if self.second_pass == "nan" and len(self.inputs) % 2 == 0:
            return np.full((batch.shape[0], 1, *batch.shape[2:]), np.nan, np.float32)
        return (40.0 * (batch.mean(axis=1, keepdims=True) - 0.5)).astype(np.float32)


def _distant_person() -> np.ndarray:
    """A dark 1280x720 room with a bright 40x120 px figure and a 2-px-thin arm reaching 60 px left of it: at 256x144
    (5 camera pixels a cell) the arm is 0.4 of a cell, too faint for the first pass."""
    frame = np.full((720, 1280, 3), 10, np.uint8)
    frame[400:520, 600:640] = 250
    frame[441:443, 540:600] = 250
    return frame


ARM_CELLS = (slice(88, 89), slice(108, 120))  # the arm's row and columns in the 256x144 grid


def test_a_thin_arm_lost_at_the_first_pass_is_found_by_the_second() -> None:
    seg = BrightnessSegmenter()
    single = seg.infer(_distant_person(), BUDGET, zoom=False)
    assert len(seg.inputs) == 1 and single.mask[ARM_CELLS].max() < 0.05
    zoomed = seg.infer(_distant_person(), BUDGET)
    assert len(seg.inputs) == 3, "a small person gets a second pass"
    assert seg.inputs[2][0] * seg.inputs[2][1] == pytest.approx(BUDGET, rel=0.25)  # at the same budget
    assert zoomed.mask.shape == single.mask.shape and zoomed.small is not None
    assert zoomed.mask[ARM_CELLS].mean() > 0.2
    np.testing.assert_array_equal(zoomed.small, single.small)
    full = seg(_distant_person())
    assert full.shape == (720, 1280) and full[441:443, 550:590].mean() > 0.15


def _near_person() -> np.ndarray:
    """A dark 1280x720 room with a bright figure filling most of it."""
    frame = np.full((720, 1280, 3), 10, np.uint8)
    frame[100:720, 300:1000] = 250
    return frame


def test_the_bench_frame_of_a_distant_person_is_the_frame_shrunk_in_a_room_of_its_edges() -> None:
    from segmentation.tools.bench import distant_person_frame

    frame = np.full((720, 1280, 3), 10, np.uint8)
    frame[200:520, 400:880] = 250  # clear of the edges, which the room repeats
    distant = distant_person_frame(frame, 0.4)
    assert distant.shape == frame.shape and distant.dtype == np.uint8
    assert (distant[:, :, 0] == 250).mean() == pytest.approx((frame[:, :, 0] == 250).mean() * 0.16, rel=0.05)
    seg = BrightnessSegmenter()
    seg.infer(distant, BUDGET)
    assert len(seg.inputs) == 2, "the shrunk figure gets the second pass the bench times"


def test_a_near_person_costs_one_pass() -> None:
    seg = BrightnessSegmenter()
    seg.infer(_near_person(), BUDGET)
    assert len(seg.inputs) == 1


def test_batch_zooms_as_single_frames_do() -> None:
    seg = BrightnessSegmenter()
    frames = [_distant_person(), np.roll(_distant_person(), 200, axis=1), _near_person()]
    for frame, mask in zip(frames, seg.batch(frames, batch_size=2), strict=True):
        np.testing.assert_allclose(mask, seg(frame), atol=1e-6)


@pytest.mark.parametrize("frame_ops_device", ["opencv", "cpu"], ids=["opencv path", "frame ops path"])
def test_the_render_step_zooms_on_both_paths(frame_ops_device: str) -> None:
    seg = BrightnessSegmenter()
    renderer = FrameRenderer(seg, use_guard=False, frame_ops_device=frame_ops_device)
    settings = RenderSettings(background=GREEN, smoothing=0.0, feather=0.5)
    result = renderer.render(_distant_person(), settings)
    assert not result.safe_frame and len(seg.inputs) == 2
    arm = result.rgb[441:443, 550:590].astype(int)
    assert arm[..., 0].mean() > 60, "the arm is drawn, not replaced by the green background"


def test_a_second_pass_that_returns_garbage_gives_a_safe_frame() -> None:
    seg = BrightnessSegmenter(second_pass="nan")
    renderer = FrameRenderer(seg, use_guard=False)
    frame = _distant_person()
    result = renderer.render(frame, RenderSettings(background=GREEN))
    assert len(seg.inputs) == 2 and result.safe_frame
    assert result.error and "safe frame" in result.error
