"""Helpers of the training tests: a tiny run's settings and log, and short footage clips cut from the demo clip."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import pytest

from segmentation.training.rvm_teacher import RVM_MODEL
from segmentation.training.sources import held_out_footage

DEMO_CLIP = Path(__file__).resolve().parents[1] / "assets" / "demo" / "demo-desk-960x540.mp4"


def short_copy(destination: Path, frames: int = 5) -> Path:
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


def footage_name(held_out: bool) -> str:
    """A footage-style name (``OWNER__REPO__clip``) whose group is held out, or not."""
    for index in range(1000):
        name = f"owner{index}__repo__clip"
        if held_out_footage(Path(f"{name}.mp4")) is held_out:
            return name
    raise AssertionError("no such name")


def footage_data_root(data_root: Path, folder: Path) -> Path:
    """An empty footage folder under a new data root in ``folder``, with the shared RVM teacher linked into its
    models; returns the footage folder. Skips the test when the shared data folder has no RVM."""
    if not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip(f"{RVM_MODEL} is not in the shared data folder")
    footage = folder / "people" / "footage" / "videos"
    footage.mkdir(parents=True)
    (folder / "models").mkdir()
    (folder / "models" / RVM_MODEL).symlink_to(data_root / "models" / RVM_MODEL)
    return footage


TINY_RUN = {
    "init": "none",
    "batch_size": 2,
    "workers": 0,
    "threads": 1,
    "distill_every_nth_frame": 1000,  # one teacher-labelled frame per video keeps the set-up short
    "max_image_side": 160,
}


def log_rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "log.csv").open() as handle:
        return list(csv.DictReader(handle))
