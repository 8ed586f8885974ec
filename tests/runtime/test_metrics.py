"""Mask metrics on hand-made masks whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.metrics import boundary_f_score, iou, outside_glow, person_area, static_flicker


def _disc(height: int = 120, width: int = 160, *, centre_x: float = 80, radius: float = 40) -> np.ndarray:
    """(H, W) float32 mask, 1 inside a disc, 0 outside."""
    ys, xs = np.mgrid[0:height, 0:width]
    return ((xs - centre_x) ** 2 + (ys - 60) ** 2 <= radius**2).astype(np.float32)


def test_iou_known_values() -> None:
    left = np.zeros((10, 10), np.float32)
    left[:, :5] = 1.0
    right = np.zeros((10, 10), np.float32)
    right[:, 3:8] = 1.0  # overlap: columns 3-4 (20 px); union columns 0-7 (80 px)
    assert iou(left, left) == 1.0
    assert iou(left, right) == pytest.approx(20 / 80)
    assert iou(left, 1.0 - left) == 0.0
    assert iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0  # both empty: nothing to get wrong


def test_iou_thresholds_probabilities_at_one_half() -> None:
    target = np.zeros((4, 4), np.float32)
    target[:2] = 1.0
    soft = target * 0.6 + 0.2  # 0.8 inside, 0.2 outside
    assert iou(soft, target) == 1.0
    assert iou(np.full((4, 4), 0.49, np.float32), target) == 0.0


def test_boundary_f_score_perfect_and_empty() -> None:
    disc = _disc()
    assert boundary_f_score(disc, disc) == 1.0
    empty = np.zeros_like(disc)
    assert boundary_f_score(empty, empty) == 1.0
    assert boundary_f_score(empty, disc) == 0.0
    assert boundary_f_score(disc, empty) == 0.0


def test_boundary_f_score_tolerates_small_shifts_only() -> None:
    target = _disc()
    shifted_2 = _disc(centre_x=82)
    shifted_10 = _disc(centre_x=90)
    assert boundary_f_score(shifted_2, target, tolerance_px=3) > 0.9
    assert boundary_f_score(shifted_10, target, tolerance_px=3) < 0.5
    # The same 10 px shift barely moves IoU, which is why the boundary score is reported as well.
    assert iou(shifted_10, target) > 0.7


def test_boundary_f_score_grows_with_tolerance() -> None:
    target, shifted = _disc(), _disc(centre_x=86)
    scores = [boundary_f_score(shifted, target, tolerance_px=tolerance) for tolerance in (1, 3, 6, 10)]
    assert scores == sorted(scores)
    assert scores[-1] == pytest.approx(1.0)


def _static_video(frames: int = 6) -> list[np.ndarray]:
    """Identical (H, W, 3) uint8 RGB frames: a textured, motionless scene."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    return [frame.copy() for _ in range(frames)]


def test_static_flicker_is_zero_for_stable_masks() -> None:
    video = _static_video()
    masks = [_disc() for _ in video]
    assert static_flicker(video, masks) == 0.0


def test_static_flicker_measures_edges_that_toggle_on_a_still_scene() -> None:
    video = _static_video()
    toggling = [_disc(radius=40 if index % 2 == 0 else 43) for index in range(len(video))]
    flicker = static_flicker(video, toggling)
    # Change 1 on the 3 px ring between radius 40 and 43, counted inside the 10 px band around both outlines
    # (radius about 29 to 54): pi (43^2 - 40^2) / (pi (54^2 - 29^2)) = 0.12.
    assert 0.08 < flicker < 0.16
    small, large = _disc(radius=40), _disc(radius=43)
    half_toggling = [small if index % 2 == 0 else small + 0.5 * (large - small) for index in range(len(video))]
    assert static_flicker(video, half_toggling) == pytest.approx(flicker / 2)


def test_static_flicker_ignores_pixels_where_the_image_moved() -> None:
    base = np.random.default_rng(1).integers(0, 200, (120, 160, 3), dtype=np.uint8)
    brightening = [base + np.uint8(6 * index) for index in range(6)]  # every pixel gets 6 levels brighter per frame
    toggling = [_disc(radius=40 if index % 2 == 0 else 43) for index in range(6)]
    assert static_flicker(brightening, toggling) == 0.0
    assert static_flicker(brightening, toggling, still_threshold=10.0) > 0.0


def test_glow_is_the_mean_alpha_in_the_band_outside_the_outline() -> None:
    person = _disc(radius=30)
    assert outside_glow(person, person) == 0.0  # a crisp edge does not glow
    wide = _disc(radius=36)  # spreads 6 px past the outline: covers about half of the 3-10 px band
    half = outside_glow(wide, person)
    assert 0.3 < half < 0.6
    assert outside_glow(np.full_like(person, 0.25), person) == pytest.approx(0.25)
    assert np.isnan(outside_glow(person, np.zeros_like(person)))  # nobody: no outline


def test_person_area_is_the_share_above_one_half() -> None:
    mask = np.zeros((10, 10), np.float32)
    mask[:2] = 0.6
    mask[2:4] = 0.4
    assert person_area(mask) == pytest.approx(0.2)
