"""Clips with known masks for "Learn my room": a person cut out of a photo by its hand mask, pasted onto a photo of a
room that holds a framed photo of another person, with camera noise, compression and a slow exposure drift.

``room_clip(data_root, frames, shift_at)`` returns ``RoomClip``: the frames ((H, W, 3) uint8 RGB, 640x360), the main
person's true mask per frame ((H, W) bool), and frames of the empty room (the same camera, nobody in view) to learn
the room from. From frame ``shift_at`` on, the camera has moved part-way: the room and the framed photo are shifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 360
ROOM = "backgrounds/training_only/IMG_20250319_023048_217.jpg"  # a lobby with armchairs, nobody in it
MAIN = "people/web_photos/images/130.jpg"  # a man in a dark coat, standing (his mask touches the photo's bottom)
FRAMED = "people/web_photos/images/115.jpg"  # another person, hung on the wall as a framed photo
NOISE_SIGMA = 3.0  # sensor noise, grey levels per channel
JPEG_QUALITY = 85  # each frame goes through JPEG: compression artefacts like a webcam's MJPEG
DRIFT = (0.05, 0.03, -0.04)  # exposure and white balance drift per channel over the clip (R, G, B)
FRAMED_HEIGHT = 190  # pixels, frame not included
SHIFT = (14.0, 5.0)  # pixels the camera's view moves by at ``shift_at`` (x, y)


@dataclass(frozen=True)
class RoomClip:
    frames: list[np.ndarray]
    truths: list[np.ndarray]
    empty: list[np.ndarray]  # the empty room (no drift yet), to learn it from
    framed_box: tuple[int, int, int, int]  # where the framed photo hangs (x0, y0, x1, y1) before the shift


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def _room(data_root: Path) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The room at (HEIGHT, WIDTH) with a framed photo of a person on its wall, and the frame's box."""
    room = cv2.resize(_rgb(data_root / ROOM), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    photo = _rgb(data_root / FRAMED)
    height = FRAMED_HEIGHT
    width = round(photo.shape[1] * height / photo.shape[0])
    photo = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    picture = cv2.copyMakeBorder(photo, 7, 7, 7, 7, cv2.BORDER_CONSTANT, value=(60, 40, 25))
    x0, y0 = 24, 40
    room[y0 : y0 + picture.shape[0], x0 : x0 + picture.shape[1]] = picture
    return room, (x0, y0, x0 + picture.shape[1], y0 + picture.shape[0])


def _person(data_root: Path, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The main person cut out by the hand mask and scaled to ``height``: (rgb uint8, mask bool), cropped to them."""
    rgb = _rgb(data_root / MAIN)
    mask = cv2.imread(str(data_root / MAIN.replace("images", "masks").replace(".jpg", ".png")), cv2.IMREAD_GRAYSCALE)
    mask = _without_holes(mask >= 128)
    x, y, w, h = cv2.boundingRect(mask)
    rgb, mask = rgb[y : y + h, x : x + w], mask[y : y + h, x : x + w]
    width = round(w * height / h)
    rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    return rgb, cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR) >= 128


def _without_holes(mask: np.ndarray) -> np.ndarray:
    """The (H, W) bool hand ``mask`` as uint8 (255 = person) with the specks of background it encloses filled: the
    hand masks have a few pinholes inside clothes, which would show the room through the pasted person."""
    outside = cv2.copyMakeBorder((~mask).astype(np.uint8) * 255, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(outside, None, (0, 0), 0)
    return np.maximum(mask.astype(np.uint8) * 255, outside[1:-1, 1:-1])


def _camera(scene: np.ndarray, gain: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What the camera delivers: ``scene`` with exposure gain, sensor noise and JPEG compression."""
    noisy = scene.astype(np.float32) * gain + rng.normal(0.0, NOISE_SIGMA, scene.shape).astype(np.float32)
    frame = np.clip(noisy, 0, 255).astype(np.uint8)
    _, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)


def room_clip(data_root: Path, frames: int = 60, shift_at: int | None = None, seed: int = 0) -> RoomClip:
    rng = np.random.default_rng(seed)
    room, framed_box = _room(data_root)
    shifted = cv2.warpAffine(
        room, np.float32([[1, 0, SHIFT[0]], [0, 1, SHIFT[1]]]), (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT
    )
    person_rgb, person_mask = _person(data_root, 300)
    empty = [_camera(room, np.ones(3, np.float32), rng) for _ in range(15)]
    clip_frames, truths = [], []
    for index in range(frames):
        scene = (shifted if shift_at is not None and index >= shift_at else room).copy()
        truth = np.zeros((HEIGHT, WIDTH), bool)
        height, width = person_mask.shape
        left = WIDTH // 2 + 40 - width // 2 + round(10 * np.sin(index / 6))
        top = HEIGHT - height
        x0, x1 = max(0, left), min(WIDTH, left + width)
        piece = person_mask[:, x0 - left : x1 - left]
        region = scene[top:HEIGHT, x0:x1]
        region[piece] = person_rgb[:, x0 - left : x1 - left][piece]
        truth[top:HEIGHT, x0:x1] = piece
        gain = 1.0 + np.array(DRIFT, np.float32) * index / max(1, frames - 1)
        clip_frames.append(_camera(scene, gain, rng))
        truths.append(truth)
    return RoomClip(clip_frames, truths, empty, framed_box)
