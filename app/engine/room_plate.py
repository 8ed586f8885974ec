"""The picture of the empty room ("room plate"): reading, checking and fitting it to the frames.

A plate is an (H, W, 3) uint8 RGB picture of the room with nobody in it, taken by the camera that streams (the
window's *Learn my room*, ``greenroom learn-room``) or given as a file (``--room-plate FILE``). It is used only at
the frames' size: a plate of another size with the same aspect ratio is scaled to them; one of another aspect ratio
cannot match the camera's view and is reported as not matching.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.engine.paths import file_problem
from app.engine.pictures import PictureError, read_picture_layers

ASPECT_TOLERANCE = 0.02  # plate and frame aspect ratios may differ by this share (rounding of odd sizes)
MIN_SIDE = 16  # a plate smaller than this holds no room to compare with


class RoomPlateError(ValueError):
    """A room picture that cannot be used; the message names the file (or the array) and says what to do."""


def check_plate(plate: object) -> np.ndarray:
    """``plate`` itself if it is an (H, W, 3) uint8 RGB array with sides of at least ``MIN_SIDE``; raises
    ``RoomPlateError`` saying what was expected and what came."""
    if not isinstance(plate, np.ndarray):
        raise RoomPlateError(f"a room picture must be an (H, W, 3) uint8 array, got {type(plate).__name__}")
    if plate.dtype != np.uint8:
        raise RoomPlateError(f"a room picture must be uint8 (0-255), got {plate.dtype}")
    if plate.ndim != 3 or plate.shape[2] != 3:
        raise RoomPlateError(f"a room picture must be (H, W, 3) RGB, got shape {plate.shape}")
    if min(plate.shape[:2]) < MIN_SIDE:
        raise RoomPlateError(
            f"a room picture must be at least {MIN_SIDE}x{MIN_SIDE} pixels, got {plate.shape[1]}x{plate.shape[0]}"
        )
    return plate


def read_plate(path: Path) -> np.ndarray:
    """The room picture in ``path`` as (H, W, 3) uint8 RGB; raises ``RoomPlateError`` for a file that is missing, a
    folder, damaged, not a picture or too small. Transparent parts are refused: a room picture shows the whole view."""
    problem = file_problem(
        path,
        folder=f"the room picture {path} is a folder; give a picture file",
        missing=f"room picture not found: {path}; check the path, or learn the room again",
    )
    if problem:
        raise RoomPlateError(problem)
    try:
        rgb, opacity = read_picture_layers(path, max_side=7680)
    except PictureError as error:
        raise RoomPlateError(f"cannot use the room picture {path.name}: {error}") from None
    if opacity is not None and int(opacity.min()) < 255:
        raise RoomPlateError(f"the room picture {path.name} has transparent parts; give a picture of the whole room")
    try:
        return check_plate(np.ascontiguousarray(rgb))
    except RoomPlateError as error:
        raise RoomPlateError(f"cannot use the room picture {path.name}: {error}") from None


def write_plate(path: Path, plate: np.ndarray) -> None:
    """Write the (H, W, 3) uint8 RGB ``plate`` as a lossless picture (PNG); raises ``RoomPlateError`` when it cannot be
    written."""
    check_plate(plate)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = cv2.imwrite(str(path), cv2.cvtColor(plate, cv2.COLOR_RGB2BGR))
    except (OSError, cv2.error) as error:
        raise RoomPlateError(f"cannot write the room picture {path}: {error}") from None
    if not written:
        raise RoomPlateError(f"cannot write the room picture {path}: give a .png file in a folder you may write to")


def fit_plate(plate: np.ndarray, width: int, height: int) -> np.ndarray:
    """``plate`` at the frames' size (``width`` x ``height``): itself when it is that size, else scaled (area
    averaging when it shrinks). Raises ``RoomPlateError`` when its aspect ratio is not the frames'."""
    plate_height, plate_width = plate.shape[:2]
    if (plate_width, plate_height) == (width, height):
        return plate
    if abs((plate_width / plate_height) / (width / height) - 1.0) > ASPECT_TOLERANCE:
        raise RoomPlateError(
            f"the room picture is {plate_width}x{plate_height} but the camera gives {width}x{height}, another shape; "
            "learn the room again at this size"
        )
    shrinking = plate_width > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(plate, (width, height), interpolation=interpolation)
