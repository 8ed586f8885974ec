"""Hard negatives in front of people (``segmentation/training/screens.py``): a monitor, the back of one or a
partition over a person's body below the head, labelled background; and how the sample mixture draws them."""

import numpy as np
import pytest
import torch

from segmentation.training.dataset import MixtureWeights, TrainingMaterial, TrainingMixture
from segmentation.training.screens import MAX_PERSON_SHARE, SKEW, TOP_RANGE, paste_screen_in_front
from segmentation.training.sources import LabelledImage

GREY = 128  # the room and the person are this grey; whatever the pasted thing is, it differs somewhere


def _seated_person() -> tuple[np.ndarray, np.ndarray]:
    """A 144x256 grey frame and the mask of a person 60 px tall (rows 40-100, columns 120-140)."""
    image = np.full((144, 256, 3), GREY, np.uint8)
    mask = np.zeros((144, 256), np.float32)
    mask[40:100, 120:140] = 1.0
    return image, mask


def test_the_thing_hides_the_body_below_the_head_and_is_labelled_background() -> None:
    image, mask = _seated_person()
    texture = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    head_rows = slice(40, 40 + int((TOP_RANGE[0] - SKEW) * 60) - 3)  # above the highest corner and its soft edge
    hidden_share = []
    for seed in range(40):
        pasted, new_mask = paste_screen_in_front(image, mask, texture, np.random.default_rng(seed))
        assert pasted.shape == image.shape and pasted.dtype == np.uint8
        assert new_mask.shape == mask.shape and new_mask.dtype == np.float32
        assert (new_mask <= mask + 1e-6).all()  # it only ever takes person away
        assert np.array_equal(new_mask[head_rows], mask[head_rows]), "the head stays person"
        changed = np.abs(pasted.astype(int) - image.astype(int)).max(axis=2) > 12
        assert not changed[head_rows].any(), "nothing is drawn over the head"
        assert (new_mask[changed & (mask > 0.5)] < 1.0).all(), "where it is drawn over the person, it is not person"
        hidden_share.append(1.0 - new_mask[70:100].mean() / mask[70:100].mean())
    assert np.mean(hidden_share) > 0.5  # the body below mid-chest is mostly hidden


@pytest.mark.parametrize(
    "box",
    [(0, 0, 0, 0), (60, 120, 64, 124), (0, 120, int(MAX_PERSON_SHARE * 144) + 4, 140)],
    ids=["no person", "a few pixels", "a close-up"],
)
def test_samples_without_a_small_enough_person_come_back_unchanged(box: tuple[int, int, int, int]) -> None:
    image = np.random.default_rng(1).integers(0, 256, (144, 256, 3), dtype=np.uint8)
    mask = np.zeros((144, 256), np.float32)
    top, left, bottom, right = box
    mask[top:bottom, left:right] = 1.0
    pasted, new_mask = paste_screen_in_front(image, mask, image, np.random.default_rng(2))
    assert np.array_equal(pasted, image) and np.array_equal(new_mask, mask)


def test_the_same_generator_state_draws_the_same_thing() -> None:
    image, mask = _seated_person()
    texture = np.random.default_rng(3).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    first = paste_screen_in_front(image, mask, texture, np.random.default_rng(5))
    second = paste_screen_in_front(image, mask, texture, np.random.default_rng(5))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def _material() -> TrainingMaterial:
    rng = np.random.default_rng(0)
    mask = np.zeros((600, 800), np.float32)
    mask[200:330, 380:420] = 1.0  # a person under half the frame's height, whatever the crop
    photo = LabelledImage("p", rng.integers(0, 256, (600, 800, 3), dtype=np.uint8), mask, soft=False)
    return TrainingMaterial([photo], [], [], [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)])


def test_the_mixture_draws_screens_with_their_probability_and_only_over_people() -> None:
    material = _material()

    def samples(**screens: float) -> list[tuple[torch.Tensor, ...]]:
        mixture = TrainingMixture(material, length=32, seed=7, mixture=MixtureWeights(1.0, 0.0, 0.0, 0.0), **screens)
        return [mixture[index] for index in range(32)]

    plain, never, always = samples(), samples(screen_probability=0.0), samples(screen_probability=1.0)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(plain, never, strict=True)), "runs without screens keep theirs"
    hidden = [
        float(with_screen[1].sum()) < float(without[1].sum()) - 1.0
        for with_screen, without in zip(always, plain, strict=True)
    ]
    assert sum(hidden) > 24
    negatives = MixtureWeights(0.0, 0.0, 0.0, 1.0)
    with_screens = TrainingMixture(material, length=8, seed=2, mixture=negatives, screen_probability=1.0)
    without = TrainingMixture(material, length=8, seed=2, mixture=negatives)
    assert all(torch.equal(with_screens[i][0], without[i][0]) for i in range(8))
    with pytest.raises(ValueError, match="screen_probability"):
        TrainingMixture(material, length=4, seed=0, screen_probability=-0.1)
