"""The RVM teacher: recurrent alpha over a clip, passes on a still, and its labels cached once on disk."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from segmentation.training.rvm_teacher import RVM_MODEL, RobustVideoMatting, cached_clip_alphas, downsample_ratio

DEMO_CLIP = Path(__file__).resolve().parents[2] / "assets" / "demo" / "demo-desk-960x540.mp4"


@pytest.fixture(scope="module")
def teacher(data_root: Path) -> RobustVideoMatting:
    if not (data_root / "models" / RVM_MODEL).is_file():
        pytest.skip(f"{RVM_MODEL} is not in the shared data folder")
    return RobustVideoMatting(data_root / "models", threads=1)


def _first_frames(path: Path, count: int = 3) -> list[np.ndarray]:
    """The first ``count`` frames, RGB, at most 320 px wide (read no further than that)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (320, 180), interpolation=cv2.INTER_AREA))
    capture.release()
    return frames


def test_the_ratio_is_below_one_for_every_size() -> None:
    assert downsample_ratio(320, 180) == 0.999 and downsample_ratio(1024, 768) == 0.5


def test_a_clip_gets_soft_alpha_that_finds_the_person(teacher: RobustVideoMatting) -> None:
    """The demo clip: a woman at a desk in the middle of the frame, a wall behind her."""
    frames = _first_frames(DEMO_CLIP)
    alphas = list(teacher.clip(frames))
    assert len(alphas) == 3
    for frame, alpha in zip(frames, alphas, strict=True):
        assert alpha.shape == frame.shape[:2] and alpha.dtype == np.float32
        assert alpha.min() >= 0.0 and alpha.max() <= 1.0
        height, width = alpha.shape
        assert alpha[height // 2 :, width * 2 // 5 : width * 3 // 5].mean() > 0.6  # her body
        assert alpha[: height // 6, : width // 6].mean() < 0.1  # the wall in the corner
        assert ((alpha > 0.05) & (alpha < 0.95)).any()  # soft values where edges are, not a thresholded mask


def test_a_still_runs_several_passes(teacher: RobustVideoMatting) -> None:
    frame = _first_frames(DEMO_CLIP, 1)[0]
    before = teacher.frames_run
    alpha = teacher.still(frame)
    assert teacher.frames_run - before == 3 and alpha.shape == frame.shape[:2]


def test_clip_alphas_are_computed_once_and_then_read_from_the_cache(teacher, tmp_path: Path) -> None:
    made = []

    def make_teacher() -> RobustVideoMatting:
        made.append(True)
        return teacher

    frames, alphas = cached_clip_alphas(DEMO_CLIP, tmp_path, _first_frames, make_teacher, tag="first3_320")
    assert frames.shape[0] == alphas.shape[0] == 3 and alphas.dtype == np.uint8 and made == [True]
    assert [path.name for path in tmp_path.iterdir()] == ["demo-desk-960x540_first3_320.npz"]

    def no_teacher() -> RobustVideoMatting:
        raise AssertionError("the cached labels were computed again")

    again_frames, again_alphas = cached_clip_alphas(DEMO_CLIP, tmp_path, _first_frames, no_teacher, tag="first3_320")
    np.testing.assert_array_equal(again_alphas, alphas)
    np.testing.assert_array_equal(again_frames, frames)
