"""Webcam footage as training material: RVM-labelled, every N-th frame kept, held-out recordings never used."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from segmentation.training.material import rvm_footage_frames
from segmentation.training.rvm_teacher import RVM_MODEL
from segmentation.training.sources import held_out_footage

DEMO_CLIP = Path(__file__).resolve().parents[2] / "assets" / "demo" / "demo-desk-960x540.mp4"


def _short_copy(destination: Path, frames: int = 5) -> Path:
    """The first ``frames`` frames of the demo clip, at 160x90, as an mp4 named ``destination``."""
    capture = cv2.VideoCapture(str(DEMO_CLIP))
    writer = cv2.VideoWriter(str(destination), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (160, 90))
    for _ in range(frames):
        ok, bgr = capture.read()
        assert ok
        writer.write(cv2.resize(bgr, (160, 90), interpolation=cv2.INTER_AREA))
    writer.release()
    capture.release()
    return destination


def _group_names(held_out: bool) -> str:
    """A footage-style name (``OWNER__REPO__clip``) whose group is held out, or not."""
    for index in range(1000):
        name = f"owner{index}__repo__clip"
        if held_out_footage(Path(f"{name}.mp4")) is held_out:
            return name
    raise AssertionError("no such name")


def test_training_footage_is_labelled_by_rvm_and_held_out_recordings_are_left_out(data_root: Path, tmp_path: Path):
    if not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip(f"{RVM_MODEL} is not in the shared data folder")
    root = tmp_path / "data"
    footage = root / "people" / "footage" / "videos"
    footage.mkdir(parents=True)
    (root / "models").mkdir()
    (root / "models" / RVM_MODEL).symlink_to(data_root / "models" / RVM_MODEL)
    trained = _short_copy(footage / f"{_group_names(False)}.mp4")
    _short_copy(footage / f"{_group_names(True)}.mp4")
    items = rvm_footage_frames(root, tmp_path / "cache", every=2, max_side=160)
    assert [item.name for item in items] == [f"{trained.stem}_{index}" for index in range(3)]  # frames 0, 2 and 4
    for item in items:
        assert item.soft and item.mask.dtype == np.float32 and item.mask.shape == item.rgb.shape[:2]
        assert item.mask.min() >= 0.0 and item.mask.max() <= 1.0 and item.mask.mean() > 0.05  # she is found
    assert [path.name for path in (tmp_path / "cache" / "rvm").iterdir()] == [f"{trained.stem}_every2_160.npz"]
