"""Hard negatives drawn behind people: the room's flags, signs, screens, lamps and coats, labelled background."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.training.clutter import CLUTTER, paste_clutter


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat grey room 160x90 with a solid person in the middle third, and a noisy texture photo."""
    image = np.full((90, 160, 3), 128, np.uint8)
    mask = np.zeros((90, 160), np.float32)
    mask[20:, 60:100] = 1.0
    texture = np.random.default_rng(0).integers(0, 256, (120, 200, 3), dtype=np.uint8)
    return image, mask, texture


@pytest.mark.parametrize("draw", CLUTTER, ids=lambda draw: draw.__name__)
def test_every_kind_of_clutter_paints_something_and_marks_where(draw) -> None:
    painted = 0
    for seed in range(8):  # a thing may fall mostly outside the frame on one seed, not on all of them
        layer = np.zeros((90, 160, 3), np.uint8)
        cover = np.zeros((90, 160), np.uint8)
        draw(layer, cover, np.random.default_rng(seed), _scene()[2])
        assert cover.dtype == np.uint8 and layer.dtype == np.uint8
        painted += int((cover > 0).sum())
    assert painted > 8 * 50


def test_clutter_goes_behind_the_person_and_the_label_stays_background() -> None:
    changed_somewhere = 0
    for seed in range(20):
        image, mask, texture = _scene()
        out, out_mask = paste_clutter(image, mask, texture, np.random.default_rng(seed))
        assert out.shape == image.shape and out.dtype == np.uint8
        assert np.array_equal(out_mask, mask)
        assert np.array_equal(out[mask == 1.0], image[mask == 1.0])  # the person is in front of it
        changed_somewhere += int(np.any(out != image))
    assert changed_somewhere >= 18


def test_clutter_is_reproducible_from_the_generator() -> None:
    image, mask, texture = _scene()
    first, _ = paste_clutter(image, mask, texture, np.random.default_rng(5))
    second, _ = paste_clutter(image, mask, texture, np.random.default_rng(5))
    assert np.array_equal(first, second)


@pytest.mark.parametrize("size", [(112, 192), (32, 32), (384, 224)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_clutter_fits_every_sample_shape_training_draws(size: tuple[int, int]) -> None:
    width, height = size  # portrait batches are narrow, the smallest are 32 px a side
    image = np.full((height, width, 3), 90, np.uint8)
    mask = np.zeros((height, width), np.float32)
    texture = np.full((40, 50, 3), 200, np.uint8)
    for seed in range(60):
        out, _ = paste_clutter(image, mask, texture, np.random.default_rng(seed))
        assert out.shape == image.shape
