"""What the room picture costs per frame: ``python scripts/room_bench.py``.

Times ``RoomFusion.fuse`` (the comparison with the room at working size, the gain, the match check, taking away what
matches the room and the full-resolution edge) on 1280x720 frames of a textured room with a person in front, a poster
of a person that the mask also holds, camera noise and an exposure drift of 5% over 2 s, with the model's mask at
256x144 (the default input) and 320x180 (the quality mode): median and 95th percentile of 1,000 calls after 50
warm-up calls, on one thread (it runs on the render thread, inside the frame's budget).
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

from app.engine.room_fusion import RoomFusion, RoomState

WIDTH, HEIGHT = 1280, 720


class FrameClock:
    """Seconds of a 30 fps stream, advanced by the caller."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def room(rng: np.random.Generator) -> np.ndarray:
    """A (720, 1280, 3) uint8 RGB room: a lit wall, furniture-like blocks, a patterned rug."""
    ramp = np.linspace(150, 220, WIDTH, dtype=np.float32)[None, :, None] * np.array([1.0, 0.95, 0.85], np.float32)
    picture = np.repeat(ramp, HEIGHT, axis=0)
    for _ in range(12):
        x, y = int(rng.integers(0, WIDTH - 200)), int(rng.integers(0, HEIGHT - 150))
        colour = rng.integers(30, 230, 3).tolist()
        cv2.rectangle(picture, (x, y), (x + int(rng.integers(60, 200)), y + int(rng.integers(40, 150))), colour, -1)
    rug = (np.indices((160, WIDTH)).sum(axis=0) // 12 % 2 * 60 + 90).astype(np.float32)
    picture[HEIGHT - 160 :] = rug[..., None]
    return np.clip(picture, 0, 255).astype(np.uint8)


def scene(plate: np.ndarray, shift: int, gain: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The frame ((720, 1280, 3) uint8) with a person in front and the poster, and the person truth ((720, 1280)
    float32 in [0, 1]) that the mask is made from."""
    frame = plate.copy()
    person = np.zeros((HEIGHT, WIDTH), np.float32)
    cv2.ellipse(person, (WIDTH // 2 + shift, 520), (170, 330), 0, 0, 360, 1.0, -1)
    cv2.circle(person, (WIDTH // 2 + shift, 170), 80, 1.0, -1)
    frame[person > 0] = (70, 60, 120)
    noisy = frame.astype(np.float32) * np.array([gain, 1.0, 2.0 - gain], np.float32)
    noisy += rng.normal(0, 3, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8), person


def main() -> None:
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    plate = room(rng)
    cv2.rectangle(plate, (120, 120), (320, 400), (180, 140, 120), -1)  # the poster: a "person" the model sees
    poster = np.zeros((HEIGHT, WIDTH), np.float32)
    cv2.ellipse(poster, (220, 270), (70, 120), 0, 0, 360, 1.0, -1)
    # The person sways by 8 pixels; the exposure drifts by 5% over 2 s and back (30 fps).
    frames = [scene(plate, round(8 * np.sin(index / 5)), 1.0 + 0.05 * index / 59, rng) for index in range(60)]
    for width, height in ((256, 144), (320, 180)):
        masks = []
        for frame, person in frames:
            prob = cv2.GaussianBlur(cv2.resize(np.maximum(person, poster), (width, height)), (5, 5), 0)
            alpha = cv2.convertScaleAbs(cv2.resize(prob, (WIDTH, HEIGHT)), alpha=255.0)
            masks.append((frame, prob, alpha))
        clock = FrameClock()
        fusion = RoomFusion(clock=clock)
        fusion.use_plate(plate)
        times = []
        for index in range(1050):
            turn = index % (2 * len(masks))
            frame, prob, alpha = masks[turn if turn < len(masks) else 2 * len(masks) - 1 - turn]
            work = alpha.copy()
            start = time.perf_counter()
            fusion.fuse(frame, prob, work)
            if index >= 50:
                times.append((time.perf_counter() - start) * 1e3)
            clock.now += 1 / 30
        assert fusion.status is not None
        used = "in use" if fusion.status.state is RoomState.IN_USE else fusion.status.describe()
        p95 = float(np.percentile(times, 95))
        print(
            f"room fusion at 1280x720, mask {width}x{height}: median {statistics.median(times):.2f} ms, "
            f"p95 {p95:.2f} ms ({used})"
        )


if __name__ == "__main__":
    main()
