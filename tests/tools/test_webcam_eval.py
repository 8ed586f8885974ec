"""The held-out webcam evaluation: clips held out by recording, scores against a reference, the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segmentation.tools import webcam_eval
from segmentation.training.rvm_teacher import RVM_MODEL, RobustVideoMatting
from segmentation.training.sources import footage_group
from segmentation.weights import load_spec


@pytest.fixture(scope="module")
def footage(data_root: Path) -> Path:
    folder = data_root / "people" / "footage" / "videos"
    if not folder.is_dir() or not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip("the footage or the RVM teacher is not in the shared data folder")
    return folder


def test_a_recording_is_held_out_whole(footage: Path) -> None:
    """Clips of one repository (one person, one room) are all held out or all trained on."""
    clips = sorted(footage.glob("*.mp4"))
    held_out = webcam_eval.held_out_clips(footage)
    assert 0 < len(held_out) < len(clips)
    for group in {footage_group(clip) for clip in held_out}:
        members = [clip for clip in clips if footage_group(clip) == group]
        assert all(clip in held_out for clip in members)


def test_scores_against_the_reference(footage: Path, data_root: Path, tmp_path: Path) -> None:
    clip = webcam_eval.held_out_clips(footage)[0]
    teacher = RobustVideoMatting(data_root / "models", threads=1)
    reference = {
        "perfect": lambda rgb: next(teacher.clip([rgb])),
        "nobody": lambda rgb: np.zeros(rgb.shape[:2], np.float32),
    }
    rows = webcam_eval.evaluate_clips(
        [clip], reference, cache_dir=tmp_path, teacher=lambda: teacher, max_frames=4, every=2
    )
    scores = {row.model: row for row in rows}
    assert scores["nobody"].iou == 0.0 and scores["nobody"].flicker == 0.0
    assert scores["perfect"].iou > 0.9 and scores["perfect"].scored_frames == 2  # frames 0 and 2
    summary = webcam_eval.summary(rows)
    assert summary["nobody"]["clips"] == 1 and summary["perfect"]["iou"] == scores["perfect"].iou


def test_the_command_prints_and_writes_its_table(footage: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GREENROOM_DATA", str(footage.parents[2]))
    report = tmp_path / "report.json"
    shipped = load_spec().name
    code = webcam_eval.main(
        [
            *("--frames", "3", "--every", "2", "--no-mediapipe", "--cache", str(tmp_path / "cache")),
            *("--json", str(report), "--pixel-budget", "9216", "--pixel-budget", "36864", "--per-clip"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "held-out webcam clips" in out and f"{shipped} @9216 px" in out
    clips = webcam_eval.held_out_clips(footage)
    per_clip = out.split("\n\n", 1)[1].splitlines()
    assert per_clip[0].startswith("clip") and len(per_clip) == 1 + 2 * len(clips)  # a line per clip and model
    assert all(any(line.startswith(clip.stem[:43]) for line in per_clip) for clip in clips)
    summary = json.loads(report.read_text())["summary"]
    assert sorted(summary) == [f"{shipped} @36864 px", f"{shipped} @9216 px"]
    assert summary[f"{shipped} @9216 px"]["clips"] == len(webcam_eval.held_out_clips(footage))
    assert summary[f"{shipped} @9216 px"]["iou"] != summary[f"{shipped} @36864 px"]["iou"]  # the size is used


def test_the_per_clip_table_keeps_whole_model_labels() -> None:
    """Two specs of one name are told apart by their folders: a label cut short would lose the input size."""
    label = "greenroom-person-v6 (a-long-run-folder-name) @130560 px"
    rows = [webcam_eval.ClipScores(f"clip{index}", label, 0.9, 0.8, 0.004, 30) for index in range(2)]
    lines = webcam_eval.per_clip_table(rows).splitlines()
    assert len(lines) == 3 and all(f" {label} " in line for line in lines[1:])
