"""The measuring scripts behind the model card's "as the app shows it" figures run on the current engine API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=240, check=False
    )


def test_app_flicker_reports_raw_and_in_app_flicker() -> None:
    result = _run("scripts/app_flicker.py", "--frames", "4")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (
        "4 frames of demo-desk-960x540.mp4 at 288x160 input, a second look at a small person: static-edge flicker "
        "raw model" in result.stdout
    )


def test_app_flicker_measures_a_distant_person_with_and_without_the_second_look() -> None:
    result = _run("scripts/app_flicker.py", "--frames", "3", "--distant", "0.4", "--no-zoom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 frames of demo-desk-960x540.mp4 shrunk to 40% at 288x160 input, one pass:" in result.stdout
    refused = _run("scripts/app_flicker.py", "--frames", "3", "--distant", "3")
    assert refused.returncode == 2 and "--distant takes a share" in refused.stderr
    refused = _run("scripts/app_flicker.py", "--frames", "1")
    assert refused.returncode == 2 and "--frames takes at least 2" in refused.stderr


def test_zoom_examples_writes_both_renders_side_by_side(tmp_path: Path) -> None:
    output = tmp_path / "zoom.jpg"
    result = _run("scripts/zoom_examples.py", str(output), "--frames", "0", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    sheet = cv2.imread(str(output))
    assert sheet is not None and sheet.shape[1] == 2 * 960  # the two full-size composites of a 960x540 clip
    assert sheet.shape[0] > 2 * 540  # two rows, each a full-size pair above the 2x close-ups
    for frames in (["-1"], ["0", "100000"]):
        refused = _run("scripts/zoom_examples.py", str(tmp_path / "no.jpg"), "--frames", *frames)
        assert refused.returncode == 2 and "--frames takes frame numbers from 0 to" in refused.stderr


def test_app_accuracy_scores_the_composited_alpha(data_root: Path, tmp_path: Path) -> None:
    photos = data_root / "people" / "web_photos"
    if not photos.is_dir():
        pytest.skip("the shared data folder's web photos are not here")
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for path in sorted((photos / "images").glob("*.jpg"))[:40]:
        shutil.copy(path, images / path.name)
        shutil.copy(photos / "masks" / f"{path.stem}.png", masks / f"{path.stem}.png")
    result = _run("scripts/app_accuracy.py", "--images", str(images), "--masks", str(masks), "--budgets", "9216")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "9216" in result.stdout
