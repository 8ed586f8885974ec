"""The sample mixture: shapes per batch (landscape and portrait), label ranges, reproducibility."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from segmentation.model import build_deeplabv3plus
from segmentation.training.augment import (
    DISTANT_FEET,
    DISTANT_HEIGHT,
    crop_around_person,
    paste_distant_person,
    paste_occluder,
    paste_person,
)
from segmentation.training.config import TrainConfig
from segmentation.training.dataset import MixtureWeights, TrainingMaterial, TrainingMixture
from segmentation.training.sources import LabelledImage
from segmentation.training.trainer import build_model


def _material() -> TrainingMaterial:
    rng = np.random.default_rng(0)
    mask = np.zeros((300, 200), np.float32)
    mask[60:280, 50:150] = 1.0
    photo = LabelledImage("p", rng.integers(0, 256, (300, 200, 3), dtype=np.uint8), mask, soft=False)
    frame = LabelledImage(
        "f", rng.integers(0, 256, (180, 320, 3), dtype=np.uint8), np.full((180, 320), 0.7, np.float32), soft=True
    )
    cutout = (rng.integers(0, 256, (120, 50, 3), dtype=np.uint8), np.ones((120, 50), np.float32))
    return TrainingMaterial([photo], [frame], [cutout], [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)])


def test_each_batch_has_one_orientation_and_both_occur() -> None:
    dataset = TrainingMixture(_material(), length=8 * 40, seed=3, portrait_fraction=0.5, samples_per_batch=8)
    orientations = []
    for batch in range(40):
        shapes = {tuple(dataset[batch * 8 + i][0].shape) for i in range(8)}
        assert len(shapes) == 1
        orientations.append(shapes.pop())
    assert set(orientations) == {(3, 144, 256), (3, 256, 144)}


def test_mixed_input_sizes_vary_per_batch_within_the_range() -> None:
    dataset = TrainingMixture(
        _material(), length=4 * 30, seed=5, portrait_fraction=0.5, samples_per_batch=4, sample_scale_range=(0.75, 1.5)
    )
    sizes = set()
    for batch in range(30):
        shapes = {tuple(dataset[batch * 4 + i][1].shape) for i in range(4)}
        assert len(shapes) == 1
        _, height, width = shapes.pop()
        long_side, short_side = max(height, width), min(height, width)
        assert height % 16 == 0 and width % 16 == 0
        assert 192 <= long_side <= 384 and 112 <= short_side <= 224
        sizes.add((long_side, height > width))
    assert len({long_side for long_side, _ in sizes}) >= 4  # many sizes, not just the two ends
    assert {portrait for _, portrait in sizes} == {True, False}


def test_stepped_scales_give_only_a_few_input_shapes() -> None:
    """Few shapes for a GPU: with 3 steps over (0.75, 1.5) the batches take the sizes of 0.75, 1.125 and 1.5 only."""
    dataset = TrainingMixture(
        _material(), length=2 * 40, seed=3, samples_per_batch=2, sample_scale_range=(0.75, 1.5), sample_scale_steps=3
    )
    widths = {dataset.batch_sample_size(np.random.default_rng((3, batch, 1)))[0] for batch in range(40)}
    assert widths == {192, 288, 384}
    with pytest.raises(ValueError, match="sample_scale_steps"):
        TrainingMixture(_material(), length=4, seed=0, sample_scale_steps=-1)


def test_an_empty_or_inverted_scale_range_is_refused() -> None:
    for bad in [(0.0, 1.0), (1.5, 1.0)]:
        with pytest.raises(ValueError, match="sample_scale_range"):
            TrainingMixture(_material(), length=4, seed=0, sample_scale_range=bad)


def test_samples_are_reproducible_and_in_range() -> None:
    dataset = TrainingMixture(_material(), length=64, seed=1)
    for index in range(0, 64, 5):
        image, mask, weight = dataset[index]
        again = dataset[index]
        assert torch.equal(image, again[0]) and torch.equal(mask, again[1])
        assert image.shape == (3, 144, 256) and mask.shape == (1, 144, 256)
        assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0
        assert float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0
        assert float(weight) in (0.5, 1.0)


def test_fine_tuning_starts_from_a_checkpoint(tmp_path) -> None:
    source = build_deeplabv3plus()
    path = tmp_path / "best_ema.pt"
    torch.save({"model": source.state_dict()}, path)
    model = build_model(TrainConfig(init=f"checkpoint:{path}"))
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)


def test_fine_tuning_starts_from_the_shipped_model() -> None:
    from segmentation.weights import build_model_from_spec, default_spec_path, load_spec

    spec_path = default_spec_path()
    spec = load_spec(spec_path)
    config = TrainConfig(
        init=f"spec:{spec_path}",
        backbone=spec.architecture.backbone,
        output_stride=spec.architecture.output_stride,
        aspp_channels=spec.architecture.aspp_channels,
        decoder_channels=spec.architecture.decoder_channels,
    )
    model = build_model(config)
    shipped = build_model_from_spec(spec, spec_path.parent)
    for key, value in shipped.state_dict().items():
        assert torch.equal(model.state_dict()[key], value)
    with pytest.raises(RuntimeError):  # the spec's weights do not fit another architecture
        build_model(replace(config, aspp_channels=spec.architecture.aspp_channels * 2))


def test_mixture_weights_choose_the_kinds_of_sample() -> None:
    only_negatives = TrainingMixture(_material(), length=16, seed=2, mixture=MixtureWeights(0.0, 0.0, 0.0, 1.0))
    assert all(float(only_negatives[i][1].max()) == 0.0 for i in range(16))
    only_teacher = TrainingMixture(_material(), length=16, seed=2, mixture=MixtureWeights(0.0, 1.0, 0.0, 0.0))
    assert all(float(only_teacher[i][2]) == 0.5 for i in range(16))


def test_crop_min_area_one_keeps_the_whole_window_in_view() -> None:
    rng = np.random.default_rng(4)
    mask = np.zeros((144, 256), np.float32)
    mask[20:120, 100:160] = 1.0
    image = np.zeros((144, 256, 3), np.uint8)
    areas = []
    for _ in range(20):
        _, cropped = crop_around_person(image, mask, (256, 144), rng, min_area=1.0)
        areas.append(float(cropped.mean()))
    # The aspect jitter (+-10%) trims at most a tenth of the frame, so the person's share stays near 100x60/(144x256).
    assert all(abs(area - mask.mean()) < 0.1 * mask.mean() + 0.01 for area in areas)
    _, zoomed = crop_around_person(image, mask, (256, 144), np.random.default_rng(5), min_area=0.2)
    assert float(zoomed.mean()) > mask.mean()  # a small crop around the person magnifies it


def test_an_occluder_is_background_where_it_covers_the_person_and_leaves_the_rest_alone() -> None:
    image = np.full((144, 256, 3), 10, np.uint8)
    mask = np.zeros((144, 256), np.float32)
    mask[20:144, 90:170] = 1.0
    texture = np.full((360, 640, 3), 250, np.uint8)  # a bright person-free photo, so the patch is easy to find
    covered_person = []
    for seed in range(40):
        pasted, new_mask = paste_occluder(image, mask, texture, np.random.default_rng(seed))
        assert pasted.shape == image.shape and pasted.dtype == np.uint8
        assert new_mask.shape == mask.shape and new_mask.dtype == np.float32
        patch = pasted[:, :, 0] > 130  # more than half patch
        untouched = pasted[:, :, 0] == 10
        assert patch.any() and untouched.any()
        assert (new_mask <= mask + 1e-6).all()  # it only ever takes person away
        assert (new_mask[patch] < 0.5).all()  # where the patch is opaque the label is background
        assert np.allclose(new_mask[untouched], mask[untouched], atol=1 / 240)  # alpha below half a grey level
        covered_person.append(bool((patch & (mask > 0.5)).any()))
    assert 0.5 < np.mean(covered_person) < 1.0  # mostly beside or over the person, now and then elsewhere


def test_occluders_come_with_their_probability_and_only_on_samples_with_people() -> None:
    material = _material()
    plain = TrainingMixture(material, length=64, seed=7)
    never = TrainingMixture(material, length=64, seed=7, occluder_probability=0.0)
    always = TrainingMixture(material, length=64, seed=7, occluder_probability=1.0)
    changed = 0
    for index in range(64):
        assert torch.equal(plain[index][0], never[index][0])
        with_occluder = always[index]
        if float(plain[index][1].max()) > 0:
            changed += int(float(with_occluder[1].sum()) < float(plain[index][1].sum()) - 1.0)
    assert changed > 32
    only_negatives = TrainingMixture(
        material, length=8, seed=2, mixture=MixtureWeights(0.0, 0.0, 0.0, 1.0), occluder_probability=1.0
    )
    plain_negatives = TrainingMixture(material, length=8, seed=2, mixture=MixtureWeights(0.0, 0.0, 0.0, 1.0))
    assert all(torch.equal(only_negatives[i][0], plain_negatives[i][0]) for i in range(8))
    with pytest.raises(ValueError, match="occluder_probability"):
        TrainingMixture(material, length=4, seed=0, occluder_probability=1.5)


def test_clutter_comes_with_its_probability_keeps_labels_and_leaves_runs_without_it_unchanged() -> None:
    material = _material()
    plain = TrainingMixture(material, length=32, seed=4)
    always = TrainingMixture(material, length=32, seed=4, clutter_probability=1.0)
    changed = 0
    for index in range(32):
        image, mask, weight = plain[index]
        cluttered_image, cluttered_mask, cluttered_weight = always[index]
        assert torch.equal(mask, cluttered_mask) and torch.equal(weight, cluttered_weight)
        changed += int(not torch.equal(image, cluttered_image))
    assert changed > 24
    assert all(torch.equal(plain[i][0], TrainingMixture(material, length=32, seed=4)[i][0]) for i in range(4))
    with pytest.raises(ValueError, match="clutter_probability"):
        TrainingMixture(material, length=4, seed=0, clutter_probability=-0.1)


def test_a_label_with_its_own_weight_keeps_it() -> None:
    material = _material()
    weighted = LabelledImage("w", material.teacher_labelled[0].rgb, material.teacher_labelled[0].mask, True, 0.9)
    dataset = TrainingMixture(
        TrainingMaterial([], [weighted], material.cutouts, material.backgrounds),
        length=4,
        seed=0,
        mixture=MixtureWeights(0.0, 1.0, 0.0, 0.0),
        teacher_weight=0.5,
    )
    assert all(float(dataset[i][2]) == pytest.approx(0.9) for i in range(4))


def test_a_distant_person_is_small_stands_on_the_floor_and_is_labelled_where_pasted() -> None:
    rng = np.random.default_rng(5)
    background = rng.integers(0, 256, (144, 256, 3), dtype=np.uint8)
    alpha = np.zeros((240, 100), np.float32)
    alpha[10:230, 20:80] = 1.0  # a standing figure: head at row 10, feet at row 229
    person = np.full((240, 100, 3), 255, np.uint8)
    heights, feet = [], []
    for _ in range(200):
        image, mask = paste_distant_person(background, person, alpha, rng)
        assert mask.shape == (144, 256) and mask.dtype == np.float32 and 0.0 <= mask.min() <= mask.max() <= 1.0
        rows = np.flatnonzero(mask.max(axis=1) > 0.5)
        assert len(rows)  # at least 70% of the width is in the frame, and the feet are inside it
        heights.append((rows[-1] - rows[0] + 1) / 144 * 240 / 220)  # the pasted figure's height, frame heights
        feet.append(rows[-1] / 144)
        assert (image[mask > 0.99] == 255).all()  # the person's pixels are where the label says person
        assert np.array_equal(image[mask == 0], background[mask == 0])  # and the room is untouched elsewhere
    assert DISTANT_HEIGHT[0] - 0.02 <= min(heights) and max(heights) <= DISTANT_HEIGHT[1] + 0.02
    assert DISTANT_FEET[0] - 0.02 <= min(feet) and max(feet) <= DISTANT_FEET[1]
    close_heights = []
    for _ in range(50):  # paste_person's figures, for comparison: at least 45% of the frame, often cut by its edge
        rows = np.flatnonzero(paste_person(background, person, alpha, rng)[1].max(axis=1) > 0.5)
        close_heights.append(len(rows) / 144)
    assert np.median(heights) < np.median(close_heights) / 2


def test_distant_people_come_with_their_probability_and_leave_runs_without_them_unchanged() -> None:
    material = _material()
    composites = MixtureWeights(0.0, 0.0, 1.0, 0.0)
    plain = TrainingMixture(material, length=48, seed=9, mixture=composites)
    never = TrainingMixture(material, length=48, seed=9, mixture=composites, distant_person_probability=0.0)
    always = TrainingMixture(material, length=48, seed=9, mixture=composites, distant_person_probability=1.0)
    assert all(torch.equal(plain[i][0], never[i][0]) for i in range(48))
    plain_area = np.mean([float(plain[i][1].mean()) for i in range(48)])
    distant_area = np.mean([float(always[i][1].mean()) for i in range(48)])
    assert distant_area < plain_area / 2  # the second person (30% of composites) is pasted close
    with pytest.raises(ValueError, match="distant_person_probability"):
        TrainingMixture(material, length=4, seed=0, distant_person_probability=1.5)
