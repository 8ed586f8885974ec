"""The temporal term: pairs of consecutive RVM-labelled footage frames, one crop per pair, and the loss on them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from training_runs import TINY_RUN, footage_data_root, footage_name, log_rows, short_copy

from segmentation.training.config import TrainConfig
from segmentation.training.losses import temporal_loss
from segmentation.training.material import FootageLabelling, rvm_footage_frames, rvm_footage_pairs
from segmentation.training.temporal import FramePair, clip_pairs, pair_batch


def _clip(frames: int, height: int = 60, width: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """(frames, alphas) of a person-like block moving 2 px right per frame; frame k is filled with grey k * 10."""
    rgb = np.zeros((frames, height, width, 3), np.uint8)
    alpha = np.zeros((frames, height, width), np.uint8)
    for index in range(frames):
        rgb[index] = index * 10
        alpha[index, 10:50, 20 + 2 * index : 50 + 2 * index] = 255
    return rgb, alpha


def test_pairs_start_at_every_nth_labelled_frame_and_own_their_frames() -> None:
    frames, alphas = _clip(8)
    pairs = clip_pairs("clip", frames, alphas, every=3)
    assert [pair.name for pair in pairs] == ["clip_0", "clip_3", "clip_6"]
    for pair, start in zip(pairs, (0, 3, 6), strict=True):
        assert [int(pair.rgb[i, 0, 0, 0]) for i in range(2)] == [start * 10, (start + 1) * 10]
        assert np.array_equal(pair.alpha, alphas[start : start + 2])
    frames[:] = 255  # the clip's arrays may be freed or reused
    assert int(pairs[0].rgb[0, 0, 0, 0]) == 0
    assert [pair.name for pair in clip_pairs("clip", *_clip(7), every=3)] == ["clip_0", "clip_3"]  # 6 has no next


def test_pairs_refuse_what_they_cannot_hold() -> None:
    frames, alphas = _clip(4)
    with pytest.raises(ValueError, match="at least 1"):
        clip_pairs("clip", frames, alphas, every=0)
    with pytest.raises(ValueError, match="3 alphas"):
        clip_pairs("clip", frames, alphas[:3], every=1)
    with pytest.raises(ValueError, match=r"\(2, H, W, 3\) uint8"):
        FramePair("one frame", frames[:1], alphas[:1])
    with pytest.raises(ValueError, match=r"\(2, H, W\) uint8"):
        FramePair("float alpha", frames[:2], alphas[:2].astype(np.float32))
    with pytest.raises(ValueError, match="no frame pairs"):
        pair_batch([], 1, (32, 32), np.random.default_rng(0))


def test_both_frames_of_a_pair_share_one_crop_and_one_photometric_draw() -> None:
    frames, alphas = _clip(2)
    still = FramePair("still", np.stack([frames[0], frames[0]]), np.stack([alphas[0], alphas[0]]))
    images, targets = pair_batch([still], 3, (64, 48), np.random.default_rng(5))
    assert images.shape == (6, 3, 48, 64) and images.dtype == torch.float32
    assert targets.shape == (6, 1, 48, 64) and targets.dtype == torch.float32
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    assert torch.equal(images[:3], images[3:]) and torch.equal(targets[:3], targets[3:])  # a still scene stays still
    moving = clip_pairs("moving", frames, alphas, every=1)
    _, targets = pair_batch(moving, 4, (64, 48), np.random.default_rng(5))
    # The block moved 2 px between the frames: the second target is the first moved over, so their areas agree
    # (a different crop per frame would give a different scale) while the masks differ.
    areas = targets.sum(dim=(1, 2, 3))
    assert torch.allclose(areas[:4], areas[4:], rtol=0.1)
    assert not torch.equal(targets[:4], targets[4:])


def test_the_temporal_loss_is_zero_when_the_mask_changes_as_the_teacher_does_and_counts_flicker() -> None:
    first_target = torch.zeros(1, 1, 4, 4)
    second_target = first_target.clone()
    second_target[..., :2] = 1.0  # the person moved into the left half
    logits = torch.full((1, 1, 4, 4), -20.0)
    follows = torch.where(second_target > 0.5, 20.0, -20.0)
    assert float(temporal_loss(logits, follows, first_target, second_target)) == pytest.approx(0.0, abs=1e-6)
    lags = logits.clone()  # the model's mask did not move
    assert float(temporal_loss(logits, lags, first_target, second_target)) == pytest.approx(0.5, abs=1e-6)
    first = torch.zeros(1, 1, 4, 4, requires_grad=True)  # p = 0.5 everywhere
    second = torch.zeros(1, 1, 4, 4)
    second[..., 0, 0] = 20.0  # a flicker where the teacher stands still
    second.requires_grad_(True)
    loss = temporal_loss(first, second, first_target, first_target)
    assert float(loss.detach()) == pytest.approx(0.5 / 16, abs=1e-6)
    loss.backward()
    assert first.grad is not None and second.grad is not None and float(first.grad.abs().sum()) > 0


def test_footage_pairs_come_from_every_labelled_frame_of_training_clips(data_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    footage = footage_data_root(data_root, root)
    trained = short_copy(footage / f"{footage_name(False)}.mp4", frames=9)
    short_copy(footage / f"{footage_name(True)}.mp4")
    labelling = FootageLabelling(keep_every=2, frame_step=2, max_frames=8, max_side=120)
    pairs = rvm_footage_pairs(root, tmp_path / "cache", labelling, every=2)
    # RVM labels frames 0, 2, 4 and 6; pairs start at labelled frames 0 and 2: (0, 2) and (4, 6) of the clip.
    assert [pair.name for pair in pairs] == [f"{trained.stem}_0", f"{trained.stem}_2"]
    every_frame = rvm_footage_frames(root, tmp_path / "cache", FootageLabelling(1, max_frames=8, max_side=120))
    assert np.array_equal(pairs[1].alpha[1], np.rint(every_frame[3].mask * 255).astype(np.uint8))
    assert pairs[0].alpha.mean() > 10  # she is found


@pytest.mark.slow
@pytest.mark.usefixtures("single_torch_thread")
def test_a_training_run_takes_the_temporal_term_beside_the_twin_frames(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segmentation.training import trainer

    asked = []

    def footage_pairs(root: Path, cache: Path, labelling: FootageLabelling, every: int) -> list[FramePair]:
        asked.append((root, cache, labelling.max_side, every))
        return clip_pairs("moving", *_clip(6, 90, 160), every=1)  # the footage itself is another test's subject

    monkeypatch.setattr(trainer, "rvm_footage_pairs", footage_pairs)
    config = TrainConfig(
        run_dir=tmp_path,
        label_cache=tmp_path / "labels",
        data_root=data_root,
        max_steps=2,
        val_every=2,
        consistency_weight=1.0,
        consistency_samples=1,
        temporal_weight=1.0,
        temporal_pairs=2,
        temporal_pair_every=4,
        **TINY_RUN,
    )
    trainer.train(config)
    assert asked == [(data_root, tmp_path / "labels", 384, 4)]
    rows = log_rows(tmp_path)
    assert [row["step"] for row in rows] == ["1", "2"] and all(float(row["loss"]) > 0 for row in rows)


def test_a_data_pack_carries_the_pairs_and_one_without_them_is_refused(tmp_path: Path) -> None:
    from segmentation.training.dataset import TrainingMaterial
    from segmentation.training.pack import read_pack, write_pack
    from segmentation.training.trainer import training_pairs

    material = TrainingMaterial(hand_labelled=[], teacher_labelled=[], cutouts=[], backgrounds=[])
    pairs = clip_pairs("moving", *_clip(5, 90, 160), every=2)
    write_pack(material, [], tmp_path / "with", max_side=120, quality=95, pairs=pairs)
    write_pack(material, [], tmp_path / "without")
    config = TrainConfig(run_dir=tmp_path, data_pack=tmp_path / "with", temporal_weight=1.0)
    packed = training_pairs(config)
    assert [pair.name for pair in packed] == ["moving_0", "moving_2"]
    for pair, original in zip(packed, pairs, strict=True):
        assert pair.rgb.shape == (2, 68, 120, 3) and pair.alpha.shape == (2, 68, 120)
        small = np.stack([cv2.resize(a, (120, 68), interpolation=cv2.INTER_AREA) for a in original.alpha])
        assert np.abs(pair.alpha.astype(int) - small).max() <= 1  # grey PNGs keep the alpha to 1/255
    assert read_pack(tmp_path / "with")[0].teacher_labelled == []  # the material reads as before
    with pytest.raises(ValueError, match="holds no frame pairs"):
        training_pairs(replace(config, data_pack=tmp_path / "without"))
    assert training_pairs(replace(config, temporal_weight=0.0)) == []


@pytest.mark.parametrize(("weight", "pairs"), [(float("nan"), 4), (-1.0, 4), (float("inf"), 4), (1.0, 0)])
def test_a_temporal_term_that_cannot_work_is_refused_before_anything_is_loaded(
    tmp_path: Path, weight: float, pairs: int
) -> None:
    from segmentation.training.trainer import training_pairs

    config = TrainConfig(run_dir=tmp_path, data_root=tmp_path / "nothing", temporal_weight=weight, temporal_pairs=pairs)
    with pytest.raises(ValueError, match="finite --temporal-weight above 0"):
        training_pairs(config)


def test_pairs_of_a_folder_that_is_no_pack_or_of_a_damaged_pack_are_refused(tmp_path: Path) -> None:
    from segmentation.training.dataset import TrainingMaterial
    from segmentation.training.pack import read_pack_pairs, write_pack

    with pytest.raises(ValueError, match="is not a data pack"):
        read_pack_pairs(tmp_path)
    material = TrainingMaterial(hand_labelled=[], teacher_labelled=[], cutouts=[], backgrounds=[])
    write_pack(material, [], tmp_path / "pack", pairs=clip_pairs("moving", *_clip(2), every=1))
    cv2.imwrite(str(tmp_path / "pack" / "pair00000_1.jpg"), np.zeros((10, 10, 3), np.uint8))  # a damaged frame
    with pytest.raises(ValueError, match="pictures of different sizes"):
        read_pack_pairs(tmp_path / "pack")
