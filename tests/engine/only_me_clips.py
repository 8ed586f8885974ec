"""Clips with known masks for "Only me": people cut out by their masks, pasted onto a picture of a place.

``write_clip(path, main, bystander_x)`` renders frames of 640x360: a still room (a shipped background picture), the
main person standing near the centre (swaying a little), and a bystander (a smaller person, further back) whose
horizontal centre in each frame is ``bystander_x[i]`` (None: not in view). Returns, per frame, the main person's and
the bystander's own masks ((H, W) bool: where each is visible; the main person is in front). ``main_x`` moves the
main person (None in a frame: out of view).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ROOM = ROOT / "assets" / "backgrounds" / "porch.jpg"
WIDTH, HEIGHT = 640, 360


def cutout(path: Path, height: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGBA cut-out as (rgb uint8, alpha float32 in [0, 1]) scaled to ``height`` pixels."""
    rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    scale = height / rgba.shape[0]
    rgba = cv2.resize(rgba, (max(1, round(rgba.shape[1] * scale)), height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(rgba[:, :, :3], cv2.COLOR_BGR2RGB), rgba[:, :, 3].astype(np.float32) / 255.0


def _paste(frame: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, centre_x: int, bottom: int) -> np.ndarray:
    """Composite the cut-out with its bottom centre at (centre_x, bottom); returns its alpha in frame coordinates."""
    full = np.zeros(frame.shape[:2], np.float32)
    height, width = alpha.shape
    left, top = centre_x - width // 2, bottom - height
    x0, y0, x1, y1 = max(0, left), max(0, top), min(WIDTH, left + width), min(HEIGHT, top + height)
    if x1 <= x0 or y1 <= y0:
        return full
    piece = alpha[y0 - top : y1 - top, x0 - left : x1 - left]
    full[y0:y1, x0:x1] = piece
    region = frame[y0:y1, x0:x1].astype(np.float32)
    blended = rgb[y0 - top : y1 - top, x0 - left : x1 - left] * piece[..., None] + region * (1 - piece[..., None])
    frame[y0:y1, x0:x1] = np.clip(blended, 0, 255).astype(np.uint8)
    return full


def write_clip(
    path: Path, main: Path, bystander: Path, bystander_x: list[int | None], main_x: list[int | None] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    room = cv2.cvtColor(
        cv2.resize(cv2.imread(str(ROOM)), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
    )
    main_rgb, main_alpha = cutout(main, 330)
    other_rgb, other_alpha = cutout(bystander, 210)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (WIDTH, HEIGHT))
    truth = []
    for index, x in enumerate(bystander_x):
        frame = room.copy()
        other = (
            _paste(frame, other_rgb, other_alpha, x, 330) if x is not None else np.zeros((HEIGHT, WIDTH), np.float32)
        )
        centre = main_x[index] if main_x is not None else WIDTH // 2 + round(6 * np.sin(index / 5))
        if centre is None:  # the main person is out of the frame
            person = np.zeros((HEIGHT, WIDTH), np.float32)
        else:
            person = _paste(frame, main_rgb, main_alpha, centre, HEIGHT + 10)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        truth.append((person >= 0.5, (other >= 0.5) & (person < 0.5)))
    writer.release()
    return truth
