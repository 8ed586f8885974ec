"""Webcam footage as training material: RVM-labelled, every N-th frame kept, held-out recordings never used."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from training_runs import DEMO_CLIP, footage_data_root, footage_name, short_copy

from segmentation.training.material import FootageLabelling, rvm_footage_frames, rvm_stills, rvm_video_frames
from segmentation.training.rvm_teacher import RVM_MODEL
from segmentation.training.sources import DEMO_CLIP_NAME, held_out_footage


def test_training_footage_is_labelled_by_rvm_and_held_out_recordings_are_left_out(data_root: Path, tmp_path: Path):
    root = tmp_path / "data"
    footage = footage_data_root(data_root, root)
    trained = short_copy(footage / f"{footage_name(False)}.mp4")
    short_copy(footage / f"{footage_name(True)}.mp4")
    short_copy(footage / f"{footage_name(False)}_long.mp4", frames=9)
    labelling = FootageLabelling(keep_every=2, frame_step=2, max_frames=8, max_side=120, weight=0.8)
    items = rvm_footage_frames(root, tmp_path / "cache", labelling)
    # RVM labels frames 0, 2, 4 and 6 of the first 8 (5 frames of the short clip: 0, 2, 4); every 2nd label is kept.
    assert [item.name for item in items] == [f"{trained.stem}_{index}" for index in range(2)] + [
        f"{trained.stem}_long_{index}" for index in range(2)
    ]
    for item in items:
        assert item.soft and item.weight == 0.8
        assert item.mask.dtype == np.float32 and item.mask.shape == item.rgb.shape[:2] and max(item.rgb.shape) == 120
        assert item.mask.min() >= 0.0 and item.mask.max() <= 1.0 and item.mask.mean() > 0.05  # she is found
    cached = sorted(path.name for path in (tmp_path / "cache" / "rvm").iterdir())
    assert cached == sorted(f"{stem}_step2_first8_keep2_120.npz" for stem in (trained.stem, f"{trained.stem}_long"))


def test_footage_photos_get_rvm_still_alpha_once_and_held_out_groups_are_skipped(data_root: Path, tmp_path: Path):
    if not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip(f"{RVM_MODEL} is not in the shared data folder")
    capture = cv2.VideoCapture(str(DEMO_CLIP))
    ok, bgr = capture.read()
    capture.release()
    assert ok
    images = tmp_path / "images"
    images.mkdir()
    kept, skipped = footage_name(False), footage_name(True)
    for name in (kept, skipped):
        cv2.imwrite(str(images / f"{name}.jpg"), cv2.resize(bgr, (192, 108), interpolation=cv2.INTER_AREA))
    (images / "notes.txt").write_text("not a picture")
    cache = tmp_path / "cache"
    items = rvm_stills(images, cache, data_root / "models", 160, weight=0.7, skip=held_out_footage)
    assert [item.name for item in items] == [kept]
    assert items[0].rgb.shape == (90, 160, 3) and items[0].weight == 0.7 and items[0].mask.mean() > 0.05
    stored = sorted(cache.iterdir())
    assert [path.name for path in stored] == [f"{kept}_160_passes3.png"]
    # The second call reads the cache: the models folder is not even needed.
    again = rvm_stills(images, cache, tmp_path / "no-models", 160, weight=0.7, skip=held_out_footage)
    assert np.array_equal(again[0].mask, items[0].mask)


def test_the_videos_can_be_labelled_by_rvm_instead_of_mediapipe_and_the_demo_clip_never_is(
    data_root: Path, tmp_path: Path
) -> None:
    if not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip(f"{RVM_MODEL} is not in the shared data folder")
    root = tmp_path / "data"
    (root / "videos").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "models" / RVM_MODEL).symlink_to(data_root / "models" / RVM_MODEL)
    short_copy(root / "videos" / "someone.mp4", frames=4)
    short_copy(root / "videos" / DEMO_CLIP_NAME, frames=2)
    items = rvm_video_frames(root, tmp_path / "cache", every=2, max_side=160)
    assert [item.name for item in items] == ["someone_0", "someone_1"]
    assert all(item.soft and item.weight is None and item.mask.mean() > 0.05 for item in items)
