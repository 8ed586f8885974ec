"""The room picture as it comes in: files that cannot be used are refused with a message that says why, arrays are
checked, and a picture of another size is scaled to the frames or refused when its shape differs."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.engine.room_plate import RoomPlateError, check_plate, fit_plate, read_plate, write_plate


def _room(width: int = 320, height: int = 180) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_a_written_plate_reads_back_exactly(tmp_path: Path) -> None:
    plate = _room()
    write_plate(tmp_path / "rooms" / "room.png", plate)
    assert np.array_equal(read_plate(tmp_path / "rooms" / "room.png"), plate)


def test_a_jpeg_of_the_room_can_be_used(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "room.jpg"), _room())
    assert read_plate(tmp_path / "room.jpg").shape == (180, 320, 3)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda folder: folder / "missing.png", "room picture not found"),
        (lambda folder: folder, "is a folder"),
        (lambda folder: _garbage(folder / "room.png"), "damaged or not a picture"),
        (lambda folder: _truncated(folder / "room.jpg"), "damaged or not a picture"),
        (lambda folder: _transparent(folder / "room.png"), "transparent parts"),
        (lambda folder: _tiny(folder / "room.png"), "at least 16x16"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_why(tmp_path: Path, make, expected: str) -> None:
    with pytest.raises(RoomPlateError, match=expected):
        read_plate(make(tmp_path))


def _garbage(path: Path) -> Path:
    path.write_bytes(os.urandom(2000))
    return path


def _truncated(path: Path) -> Path:
    ok, encoded = cv2.imencode(".jpg", _room(640, 360))
    assert ok
    path.write_bytes(encoded.tobytes()[: len(encoded) // 2])
    return path


def _transparent(path: Path) -> Path:
    rgba = np.dstack([_room(), np.full((180, 320), 255, np.uint8)])
    rgba[:50, :50, 3] = 0
    cv2.imwrite(str(path), rgba)
    return path


def _tiny(path: Path) -> Path:
    cv2.imwrite(str(path), _room(8, 8))
    return path


@pytest.mark.parametrize(
    ("plate", "expected"),
    [
        ([[1, 2, 3]], "got list"),
        (np.zeros((180, 320, 3), np.float32), "must be uint8"),
        (np.zeros((180, 320), np.uint8), r"\(H, W, 3\) RGB, got shape \(180, 320\)"),
        (np.zeros((180, 320, 4), np.uint8), r"got shape \(180, 320, 4\)"),
        (np.zeros((10, 320, 3), np.uint8), "at least 16x16"),
    ],
)
def test_arrays_are_checked(plate, expected: str) -> None:
    with pytest.raises(RoomPlateError, match=expected):
        check_plate(plate)


def test_a_plate_is_scaled_to_frames_of_the_same_shape_and_refused_for_another() -> None:
    plate = _room(640, 360)
    assert fit_plate(plate, 640, 360) is plate
    assert fit_plate(plate, 1280, 720).shape == (720, 1280, 3)
    assert fit_plate(plate, 320, 180).shape == (180, 320, 3)
    assert fit_plate(plate, 321, 181).shape == (181, 321, 3)  # an odd size rounds: still the same shape
    with pytest.raises(RoomPlateError, match="640x360 but the camera gives 640x480, another shape"):
        fit_plate(plate, 640, 480)


def test_a_plate_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder would be")
    with pytest.raises(RoomPlateError, match="cannot write the room picture"):
        write_plate(tmp_path / "taken" / "room.png", _room())
