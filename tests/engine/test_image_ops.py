"""Refinement, backgrounds and compositing on synthetic images with known answers."""

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.engine.backgrounds import (
    BackgroundError,
    ImageBackground,
    VideoBackground,
    blur_around,
    heavy_blur,
    make_background,
)
from app.engine.composite import composite, mask_preview
from app.engine.fitting import cover_fit
from app.engine.refine import TemporalSmoother, edge_curve, guided_upsample, to_grey
from app.engine.settings import BackgroundKind, BackgroundSpec


def _step_scene(width: int = 1280, height: int = 720, edge_x: int = 643) -> np.ndarray:
    rgb = np.full((height, width, 3), 30, np.uint8)
    rgb[:, :edge_x] = 220  # bright person on the left, sharp edge at edge_x
    return rgb


def test_guided_upsample_puts_the_edge_where_the_image_edge_is() -> None:
    frame = _step_scene()
    small = cv2.resize(frame, (256, 144), interpolation=cv2.INTER_AREA)
    # A blurry, slightly misplaced low-res mask, as a small model gives.
    mask = np.zeros((144, 256), np.float32)
    mask[:, :130] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)
    alpha = guided_upsample(mask, to_grey(small), to_grey(frame), threshold=0.5, feather=0.0)
    assert alpha.shape == (720, 1280) and alpha.dtype == np.uint8
    row = alpha[360].astype(int)
    guided_edge = int(np.argmax(row < 128))
    bilinear = cv2.resize(mask, (1280, 720), interpolation=cv2.INTER_LINEAR)[360]
    bilinear_edge = int(np.argmax(bilinear < 0.5))
    assert abs(guided_edge - 643) <= 2 < abs(bilinear_edge - 643)
    # The transition is sharp: at most 4 px between 10% and 90%.
    assert np.count_nonzero((row > 25) & (row < 230)) <= 4


def test_edge_curve_threshold_and_feather() -> None:
    gain, offset = edge_curve(threshold=0.5, feather=1.0)
    assert gain * 0.5 + offset == pytest.approx(0.5)
    hard_gain, _ = edge_curve(0.5, 0.0)
    assert hard_gain > 20 * gain
    gain, offset = edge_curve(threshold=0.7, feather=0.2)
    assert gain * 0.7 + offset == pytest.approx(0.5)


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("feather", [0.0, 0.5, 1.0])
def test_no_threshold_ghosts_the_person_or_shows_the_room(threshold: float, feather: float) -> None:
    """At the slider's ends too, a sure person pixel (p = 1) is opaque and a sure background pixel (p = 0) is hidden."""
    gain, offset = edge_curve(threshold, feather)
    assert min(max(gain * 1.0 + offset, 0.0), 1.0) == pytest.approx(1.0)
    assert min(max(gain * 0.0 + offset, 0.0), 1.0) == pytest.approx(0.0)


def test_smoother_steadies_still_edges_but_follows_motion() -> None:
    rng = np.random.default_rng(0)
    still = np.full((36, 64), 100, np.uint8)
    smoother = TemporalSmoother()
    base = np.zeros((36, 64), np.float32)
    base[:, :32] = 1.0
    outputs = []
    for _ in range(30):  # the model's mask jitters while the picture stands still
        noisy = np.clip(base + rng.normal(0, 0.2, base.shape).astype(np.float32), 0, 1)
        outputs.append(smoother(noisy, still, smoothing=1.0))
    raw_change = 0.2 * np.sqrt(2) * np.sqrt(2 / np.pi)
    smoothed_change = np.mean([np.abs(a - b).mean() for a, b in itertools.pairwise(outputs[10:])])
    assert smoothed_change < raw_change / 2

    moved = still.copy()
    moved[:, 32:] = 250  # the arm moved: the image changed where the mask changes
    new_mask = np.zeros_like(base)
    new_mask[:, :50] = 1.0
    result = smoother(new_mask, moved, smoothing=1.0)
    assert result[:, 40].mean() > 0.95  # follows the moving region at once


def test_cover_fit_fills_without_stretching() -> None:
    square = np.zeros((400, 400, 3), np.uint8)
    cv2.circle(square, (200, 200), 150, (255, 255, 255), -1)
    fitted = cover_fit(square, 1280, 720)
    assert fitted.shape == (720, 1280, 3)
    ys, xs = np.nonzero(fitted[:, :, 0] > 127)
    width, height = xs.max() - xs.min(), ys.max() - ys.min()
    assert width == pytest.approx(960, abs=6)  # the circle is scaled by 1280/400, still round
    assert height == 719  # and cropped at top and bottom


def test_backgrounds_render_at_frame_size(tmp_path: Path) -> None:
    frame = np.zeros((180, 320, 3), np.uint8)
    image_path = tmp_path / "bg.png"
    cv2.imwrite(str(image_path), np.full((50, 100, 3), (0, 0, 255), np.uint8))
    rendered = ImageBackground(image_path).render(frame)
    assert rendered.shape == frame.shape and tuple(rendered[0, 0]) == (255, 0, 0)  # BGR file, RGB out
    green = make_background(BackgroundSpec(kind=BackgroundKind.GREEN)).render(frame)
    assert tuple(green[5, 5]) == (0, 177, 64)
    assert make_background(BackgroundSpec(kind=BackgroundKind.NONE)) is None
    blurred = make_background(BackgroundSpec(kind=BackgroundKind.BLUR)).render(_step_scene(320, 180, 160))
    assert 30 < blurred[90, 160, 0] < 220  # the sharp edge is smeared


def test_blur_strength_sets_how_much_of_the_room_detail_is_left() -> None:
    """A stronger blur leaves less of a fine checkerboard: 0 light, 1 heavy, the default between."""
    squares = np.indices((360, 640)).sum(axis=0) // 8 % 2
    room = np.repeat((squares * 255).astype(np.uint8)[..., None], 3, axis=2)
    detail = {
        strength: make_background(BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=strength)).render(room).std()
        for strength in (0.0, 0.6, 1.0)
    }
    assert detail[0.0] > detail[0.6] > detail[1.0]
    assert detail[0.0] < room.std() / 4  # even the lightest setting hides the room's detail


def test_blur_around_a_person_averages_only_the_room() -> None:
    room = np.zeros((360, 640, 3), np.uint8)
    room[:, :, 1] = np.linspace(0, 255, 640).astype(np.uint8)  # a green ramp across the room
    person = np.zeros((360, 640), np.uint8)
    person[100:, 250:400] = 255
    frame = room.copy()
    frame[person > 0] = (255, 0, 255)  # magenta clothes
    blurred = blur_around(frame, person, sigma=32.0).astype(int)
    outside = cv2.dilate(person, np.ones((41, 41), np.uint8)) == 0
    assert np.abs(blurred[..., 0][outside]).max() <= 2 and np.abs(blurred[..., 2][outside]).max() <= 2  # no magenta
    plain = heavy_blur(frame, factor=4, sigma=8.0).astype(int)
    assert plain[..., 0][outside].max() > 60  # what the plain blur of the whole frame leaves around the person


def test_blur_around_a_person_who_fills_the_frame_is_still_a_picture() -> None:
    frame = np.full((90, 160, 3), 77, np.uint8)
    blurred = blur_around(frame, np.full((90, 160), 255, np.uint8), sigma=32.0)
    assert blurred.shape == frame.shape and blurred.dtype == np.uint8 and np.all(np.abs(blurred.astype(int) - 77) <= 1)


def test_video_background_loops(tmp_path: Path) -> None:
    path = tmp_path / "bg.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for value in (0, 250):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    background = VideoBackground(path)
    frame = np.zeros((96, 128, 3), np.uint8)
    means = [background.render(frame).mean() for _ in range(4)]
    assert means[0] > 200 and means[1] < 30 and means[2] > 200  # frame 2, then rewound to 1, then 2 again
    background.close()


def test_unreadable_background_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    with pytest.raises(BackgroundError, match=r"broken\.jpg"):
        make_background(BackgroundSpec(kind=BackgroundKind.IMAGE, path=broken))


def test_composite_mixes_by_alpha() -> None:
    fg = np.full((2, 3, 3), 200, np.uint8)
    bg = np.full((2, 3, 3), 0, np.uint8)
    alpha = np.array([[255, 0, 128], [255, 0, 128]], np.uint8)
    out = composite(fg, bg, alpha)
    assert out[0, 0, 0] == 200 and out[0, 1, 0] == 0 and 98 <= out[0, 2, 0] <= 102
    assert mask_preview(alpha).shape == (2, 3, 3)
    with pytest.raises(ValueError, match="one size"):
        composite(fg, bg[:, :2], alpha)
