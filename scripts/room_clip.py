"""Write a clip for trying "Learn my room": an empty room with a framed portrait on the wall, then a person in front,
then the camera knocked aside.

    python scripts/room_clip.py OUT.mp4 [--data DIR]

960x540 at 30 fps, 24 s: 12 s of the empty room (time to click *Learn my room* and step out of view), 8 s with a
person standing in front, 4 s with the camera moved by 20 pixels (the room stops matching). The room is the shipped
``architecture.jpg`` background (Pixabay content licence); the portrait on the wall and the person are two of the
data folder's synthetic people (MIT), the person cut out by their soft mask. All of it may be shipped, so the clip
(and screenshots of it) may be too. Camera noise (sigma 3) and a 4% exposure drift while the person is in view make
it look like a webcam's picture.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from app.assets import bundled_backgrounds

WIDTH, HEIGHT, FPS = 960, 540, 30.0
EMPTY, PERSON, MOVED = 12.0, 8.0, 4.0  # seconds of each part
PORTRAIT, PERSON_NAME = "P002_studio_portrait", "P001_studio_portrait"


def _read(path: Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    image = cv2.imread(str(path), flags)
    if image is None:
        raise SystemExit(f"room_clip: cannot read {path}")
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args(argv)
    people = args.data / "people" / "synthetic_people"
    room_file = next(path for path in bundled_backgrounds() if path.stem == "architecture")
    room = cv2.resize(_read(room_file), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    portrait = cv2.resize(_read(people / "images" / f"{PORTRAIT}.jpg"), (170, 210), interpolation=cv2.INTER_AREA)
    room[60:290, 40:230] = cv2.copyMakeBorder(portrait, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=(30, 45, 70))
    person = _read(people / "images" / f"{PERSON_NAME}.jpg")
    alpha = _read(people / "teacher_masks" / f"{PERSON_NAME}.png", cv2.IMREAD_GRAYSCALE)
    x, y, w, h = cv2.boundingRect((alpha >= 128).astype(np.uint8))
    height = 420
    size = (round(w * height / h), height)
    person = cv2.resize(person[y : y + h, x : x + w], size, interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = cv2.resize(alpha[y : y + h, x : x + w], size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    moved = cv2.warpAffine(room, np.float32([[1, 0, 20], [0, 1, 6]]), (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(args.out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    frames = round((EMPTY + PERSON + MOVED) * FPS)
    for index in range(frames):
        seconds = index / FPS
        scene = (moved if seconds >= EMPTY + PERSON else room).astype(np.float32)
        if seconds >= EMPTY:
            left = WIDTH // 2 + 60 - size[0] // 2 + round(12 * np.sin(index / 9))
            x0, x1 = max(0, left), min(WIDTH, left + size[0])
            piece = alpha[:, x0 - left : x1 - left, None]
            region = scene[HEIGHT - height :, x0:x1]
            scene[HEIGHT - height :, x0:x1] = person[:, x0 - left : x1 - left] * piece + region * (1 - piece)
            scene *= 1.0 + 0.04 * min(1.0, (seconds - EMPTY) / PERSON)
        scene += rng.normal(0, 3, scene.shape).astype(np.float32)
        writer.write(np.clip(scene, 0, 255).astype(np.uint8))
    writer.release()
    print(f"wrote {args.out}: {frames} frames, {WIDTH}x{HEIGHT} at {FPS:g} fps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
