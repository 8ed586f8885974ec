"""``process`` and ``stream`` with a model that returns NaN on one kind of frame (a white flash), and with models that
are refused: the room never shows, the user is told, and the run goes on where it can."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from faulty_models import write_faulty_model

from app.cli import main

WIDTH, HEIGHT, FRAMES, FLASH_AT = 320, 180, 24, 10


def _dark_room_with_a_bright_person(index: int) -> np.ndarray:
    """(H, W, 3) uint8 RGB: a dark patterned room, a bright disc (what the brightness model calls a person)."""
    rng = np.random.default_rng(index)
    rgb = rng.integers(20, 60, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    cv2.circle(rgb, (WIDTH // 3, HEIGHT // 2), HEIGHT // 3, (235, 235, 235), -1)
    return rgb


@pytest.fixture(scope="module")
def flash_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip whose frame ``FLASH_AT`` is all white: the "flash" model returns NaN for it."""
    path = tmp_path_factory.mktemp("flash") / "flash.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (WIDTH, HEIGHT))
    for index in range(FRAMES):
        rgb = (
            np.full((HEIGHT, WIDTH, 3), 255, np.uint8) if index == FLASH_AT else _dark_room_with_a_bright_person(index)
        )
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def flash_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_faulty_model(tmp_path_factory.mktemp("models"), "flash")


def _frames(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def _room_pixels(rgb: np.ndarray) -> np.ndarray:
    """The right third of the frame, far from the bright disc: room in the input, background in a good output."""
    return rgb[:, 2 * WIDTH // 3 + 20 :].astype(int)


def test_process_hides_a_nan_frame_and_every_frame_after_it_stays_masked(
    capsys, flash_clip: Path, flash_model: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.mp4"
    code = main(["process", str(flash_clip), str(output), "--background", "color:#00FF00", "--model", str(flash_model)])
    err = capsys.readouterr().err
    assert code == 0
    assert "1 of the 24 frames show the last good frame or a heavy blur instead" in err
    assert "the model returned NaN or infinite values" in err
    frames = _frames(output)
    assert len(frames) == FRAMES
    for index, frame in enumerate(frames):
        room = _room_pixels(frame)
        assert room[..., 1].mean() > 200 and room[..., 0].mean() < 40, f"frame {index} shows the room"
    assert frames[FLASH_AT].mean() < 200  # the white flash itself is not shown either: the last good frame is


def test_stream_reports_the_bad_frame_and_the_recovery_and_records_no_room(
    capsys, flash_clip: Path, flash_model: Path, tmp_path: Path
) -> None:
    record = tmp_path / "take.mp4"
    code = main(
        [
            "stream",
            "--source",
            str(flash_clip),
            "--model",
            str(flash_model),
            "--background",
            "color:#00FF00",
            "--quality",
            "speed",
            "--record",
            str(record),
            "--duration",
            "2.5",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "greenroom: error: segmentation failed (the model returned NaN or infinite values" in err
    assert "greenroom: recovered: segmentation is working again" in err
    frames = _frames(record)
    assert len(frames) > 30
    for frame in frames:
        room = _room_pixels(frame)
        assert room[..., 1].mean() > 200 and room[..., 0].mean() < 40


@pytest.mark.parametrize("kind", ["nan", "inf", "no-channel", "two-channels", "half-size", "constant"])
def test_a_model_refused_at_load_is_one_line_and_exit_2(capsys, flash_clip: Path, tmp_path: Path, kind: str) -> None:
    spec = write_faulty_model(tmp_path / "models", kind)
    code = main(["process", str(flash_clip), str(tmp_path / "out.mp4"), "--model", str(spec)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is not a usable person segmenter" in err
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize(("field", "value"), [("pixel_budget", "abc"), ("pixel_budget", 10**13), ("pixel_budget", -1)])
def test_a_bad_spec_field_is_one_line_naming_it(capsys, flash_clip: Path, tmp_path: Path, field: str, value) -> None:
    spec = write_faulty_model(tmp_path / "models", "brightness", **{field: value})
    code = main(["process", str(flash_clip), str(tmp_path / "out.mp4"), "--model", str(spec)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"{field} must be a whole number from 256 to 2088960" in err
