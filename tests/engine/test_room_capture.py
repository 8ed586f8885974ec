"""Learning the room from frames: the median is the room without noise or flicker, and learning is refused, with a
reason, when someone is in view, the picture changes or its size does. The model's mask is made up here (zeros, or a
"person" where the test puts one)."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.engine.room_capture import RoomCapture, RoomCaptureError, RoomLearned, learn_from_source
from app.engine.sources import VideoFileSource

WIDTH, HEIGHT = 320, 180
NOTHING = np.zeros((36, 64), np.float32)  # the model's mask of an empty room


def room() -> np.ndarray:
    rng = np.random.default_rng(0)
    picture = np.full((HEIGHT, WIDTH, 3), 150, np.uint8)
    for _ in range(12):
        x, y = int(rng.integers(0, WIDTH - 40)), int(rng.integers(0, HEIGHT - 40))
        cv2.rectangle(picture, (x, y), (x + 40, y + 30), rng.integers(30, 230, 3).tolist(), -1)
    return picture


def noisy(picture: np.ndarray, seed: int, brightness: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = picture.astype(np.float32) * brightness + rng.normal(0, 4, picture.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def offer_all(capture: RoomCapture, frames: list[np.ndarray], probs: list[np.ndarray], fps: float = 30.0) -> int:
    """Offer the frames at ``fps``; returns how many were offered until the capture had its samples."""
    for index, (frame, prob) in enumerate(zip(frames, probs, strict=True)):
        if capture.offer(frame, prob, index / fps):
            return index + 1
    return len(frames)


def test_the_median_of_noisy_flickering_frames_is_the_room() -> None:
    empty = room()
    frames = [noisy(empty, seed, brightness=1.0 + 0.06 * (-1) ** seed) for seed in range(100)]  # a 6% flicker
    capture = RoomCapture(seconds=3.0, samples=15)
    offered = offer_all(capture, frames, [NOTHING] * 100)
    assert offered == 91  # 15 samples spread over 3 s from the first frame: the last one at 3 s, frame 90
    plate = capture.result()
    assert plate.shape == empty.shape and plate.dtype == np.uint8
    error = np.abs(plate.astype(np.float32) - empty).mean()
    assert error < 2.0  # the noise (sigma 4) and the flicker are gone
    assert error < 0.5 * np.abs(frames[0].astype(np.float32) - empty).mean()


def test_a_still_picture_of_a_person_on_the_wall_is_part_of_the_room() -> None:
    """The model sees a person in a poster; nothing moves there: it is room, and learning it is what removes it."""
    empty = room()
    poster = NOTHING.copy()
    poster[5:25, 5:20] = 0.95
    capture = RoomCapture(seconds=1.0, samples=5)
    offer_all(capture, [noisy(empty, seed) for seed in range(40)], [poster] * 40)
    assert capture.result().shape == empty.shape


def test_someone_moving_in_view_is_refused() -> None:
    frames, probs = [], []
    for index in range(40):
        frame = noisy(room(), index)
        x = 120 + round(6 * np.sin(index / 3))  # someone swaying a little
        cv2.ellipse(frame, (x, 110), (30, 70), 0, 0, 360, (60, 50, 110), -1)
        prob = np.zeros((HEIGHT, WIDTH), np.float32)
        cv2.ellipse(prob, (x, 110), (30, 70), 0, 0, 360, 1.0, -1)
        frames.append(frame)
        probs.append(cv2.resize(prob, (64, 36), interpolation=cv2.INTER_AREA))
    capture = RoomCapture(seconds=1.0, samples=5)
    offer_all(capture, frames, probs)
    with pytest.raises(RoomCaptureError, match="someone is in view: step out of the camera's view"):
        capture.result()


def test_a_camera_that_moves_while_learning_is_refused() -> None:
    empty = room()
    frames = [
        noisy(cv2.warpAffine(empty, np.float32([[1, 0, index / 4], [0, 1, 0]]), (WIDTH, HEIGHT)), index)
        for index in range(40)
    ]
    capture = RoomCapture(seconds=1.0, samples=5)
    offer_all(capture, frames, [NOTHING] * 40)
    with pytest.raises(RoomCaptureError, match="the picture changed while learning"):
        capture.result()


def test_a_picture_size_change_while_learning_is_refused() -> None:
    frames = [noisy(room(), seed) for seed in range(20)] + [cv2.resize(room(), (160, 90))] * 20
    capture = RoomCapture(seconds=1.0, samples=5)
    offer_all(capture, frames, [NOTHING] * 40)
    with pytest.raises(RoomCaptureError, match="size changed"):
        capture.result()


def test_the_result_arrives_on_a_thread_of_its_own_and_a_cancelled_capture_says_nothing() -> None:
    learned: list[tuple[RoomLearned, str]] = []
    done = threading.Event()

    def on_done(result: RoomLearned) -> None:
        learned.append((result, threading.current_thread().name))
        done.set()

    capture = RoomCapture(seconds=1.0, samples=5, on_done=on_done)
    offer_all(capture, [noisy(room(), seed) for seed in range(40)], [NOTHING] * 40)
    assert done.wait(10)
    result, thread = learned[0]
    assert result.plate is not None and result.error == "" and thread == "greenroom-learn-room"
    cancelled = RoomCapture(seconds=1.0, samples=5, on_done=on_done)
    cancelled.offer(room(), NOTHING, 0.0)
    cancelled.cancel()
    assert cancelled.offer(room(), NOTHING, 5.0)  # the renderer lets go of it
    assert len(learned) == 1


def test_too_few_samples_are_refused() -> None:
    capture = RoomCapture(seconds=1.0, samples=5)
    capture.offer(room(), NOTHING, 0.0)
    with pytest.raises(RoomCaptureError, match="too few frames"):
        capture.result()


def write_room_clip(path: Path, frames: int, *, moving: bool = False) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (WIDTH, HEIGHT))
    for index in range(frames):
        frame = noisy(room(), index)
        if moving:
            cv2.circle(frame, (40 + 5 * index, 90), 30, (250, 250, 250), -1)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_a_video_file_is_learned_after_its_delay_by_its_own_time(tmp_path: Path) -> None:
    clip = write_room_clip(tmp_path / "room.mp4", 80)
    source = VideoFileSource(clip, loop=False)
    seen: list[np.ndarray] = []
    started = []

    def segment(rgb: np.ndarray) -> np.ndarray:
        seen.append(rgb)
        return NOTHING

    try:
        plate = learn_from_source(source, segment, seconds=1.0, delay=1.0, on_start=lambda: started.append(True))
    finally:
        source.close()
    assert plate.shape == (HEIGHT, WIDTH, 3) and started == [True]
    assert len(seen) == 15  # the model runs on the kept samples only
    assert np.abs(plate.astype(np.float32) - room()).mean() < 4.0


def test_a_video_that_ends_before_learning_is_done_says_how_long_it_was(tmp_path: Path) -> None:
    source = VideoFileSource(write_room_clip(tmp_path / "short.mp4", 20), loop=False)
    try:
        with pytest.raises(RoomCaptureError, match=r"the source ended after 0.7 s; learning needs 4 s"):
            learn_from_source(source, lambda rgb: NOTHING, seconds=3.0, delay=1.0)
    finally:
        source.close()
