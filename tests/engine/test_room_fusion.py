"""The room picture fused with the mask, on made-up rooms: what it takes away, what it never adds, the gain, the
edges, and the fallback to the model alone when the room stops matching.

Frames are 640x360 RGB: a textured room (blocks of colour on a lit wall), a person (an ellipse of a colour of their
own) and, in the model's mask, a "poster" where the frame is the room itself. The model's mask is 256x144, blurred
like a real one; its full-resolution alpha is the mask upsampled. The clock is a fake, one frame = 1/30 s.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.engine.room_fusion import LOSE_SECONDS, REGAIN_SECONDS, RoomFusion, RoomState

WIDTH, HEIGHT = 640, 360
SMALL = (256, 144)
PERSON_RGB = (70, 60, 120)


class FrameClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_room(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(140, 215, WIDTH, dtype=np.float32)[None, :, None] * np.array([1.0, 0.95, 0.85], np.float32)
    room = np.repeat(ramp, HEIGHT, axis=0)
    for _ in range(25):
        x, y = int(rng.integers(0, WIDTH - 60)), int(rng.integers(0, HEIGHT - 60))
        colour = rng.integers(40, 220, 3).tolist()
        cv2.rectangle(room, (x, y), (x + int(rng.integers(20, 90)), y + int(rng.integers(20, 90))), colour, -1)
    return np.clip(room, 0, 255).astype(np.uint8)


def person_truth(shift: int = 0) -> np.ndarray:
    """(H, W) bool: where the person is."""
    truth = np.zeros((HEIGHT, WIDTH), np.uint8)
    cv2.ellipse(truth, (400 + shift, 300), (90, 160), 0, 0, 360, 1, -1)
    cv2.circle(truth, (400 + shift, 110), 45, 1, -1)
    return truth.astype(bool)


POSTER = (60, 60, 170, 220)  # x0, y0, x1, y1: where the model also sees a person, on the wall


def model_mask(truth: np.ndarray, *, poster: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The model's low-resolution probability ((144, 256) float32) and its upsampled alpha ((H, W) uint8)."""
    person = truth.astype(np.float32)
    if poster:
        x0, y0, x1, y1 = POSTER
        person[y0:y1, x0:x1] = 1.0
    prob = cv2.GaussianBlur(cv2.resize(person, SMALL, interpolation=cv2.INTER_AREA), (7, 7), 0)
    alpha = cv2.convertScaleAbs(cv2.resize(prob, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR), alpha=255.0)
    return prob, alpha


def camera(scene: np.ndarray, gain=(1.0, 1.0, 1.0), noise: float = 3.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = scene.astype(np.float32) * np.array(gain, np.float32) + rng.normal(0, noise, scene.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def scene_with_person(room: np.ndarray, truth: np.ndarray) -> np.ndarray:
    scene = room.copy()
    scene[truth] = PERSON_RGB
    return scene


def fused(fusion: RoomFusion, frame: np.ndarray, prob: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return fusion.fuse(frame, prob, alpha.copy())


def iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    mask = alpha >= 128
    return float((mask & truth).sum() / (mask | truth).sum())


@pytest.fixture
def room() -> np.ndarray:
    return make_room()


@pytest.fixture
def fusion(room: np.ndarray) -> RoomFusion:
    room_fusion = RoomFusion(clock=FrameClock())
    room_fusion.use_plate(room)
    return room_fusion


def test_the_poster_goes_and_the_person_stays(fusion: RoomFusion, room: np.ndarray) -> None:
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    x0, y0, x1, y1 = POSTER
    assert alpha[y0 + 10 : y1 - 10, x0 + 10 : x1 - 10].min() == 255  # the model holds the poster...
    assert out[y0:y1, x0:x1].max() == 0  # ...the room takes it away
    assert iou(alpha, truth) < 0.85
    assert iou(out, truth) > 0.97
    assert fusion.status is not None and fusion.status.state is RoomState.IN_USE


def test_the_room_never_adds_a_person_where_the_model_sees_none(fusion: RoomFusion, room: np.ndarray) -> None:
    """A shadow on the wall and a reflection differ from the room, but the model says room there: they stay room."""
    truth = person_truth()
    scene = scene_with_person(room, truth)
    scene[40:120, 500:620] = (scene[40:120, 500:620] * 0.5).astype(np.uint8)  # a shadow, far from the person
    scene[250:300, 20:120] = 255  # a reflection
    prob, alpha = model_mask(truth, poster=False)
    out = fused(fusion, camera(scene), prob, alpha)
    assert out[40:120, 500:620].max() == 0 and out[250:300, 20:120].max() == 0
    far = cv2.dilate((alpha > 0).astype(np.uint8), np.ones((41, 41), np.uint8)) == 0
    assert out[far].max() == 0
    # It only takes away and moves edges: outside the model's unsure band, never above the model's alpha.
    sure = (alpha == 0) | (alpha == 255)
    unsure_band = cv2.dilate((~sure).astype(np.uint8), np.ones((21, 21), np.uint8)).astype(bool)
    assert np.all(out[~unsure_band] <= alpha[~unsure_band])


def test_the_edge_follows_the_frame_not_the_low_resolution_mask(fusion: RoomFusion, room: np.ndarray) -> None:
    truth = person_truth()
    prob, alpha = model_mask(truth, poster=False)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    edge = cv2.morphologyEx(truth.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((9, 9), np.uint8)).astype(bool)
    model_errors = int(((alpha >= 128) != truth)[edge].sum())
    room_errors = int(((out >= 128) != truth)[edge].sum())
    assert room_errors < 0.3 * model_errors


@pytest.mark.parametrize("gain", [(1.05, 0.97, 1.03), (0.95, 1.04, 0.96)])
def test_the_gain_recovers_an_exposure_and_white_balance_drift(fusion, room, gain) -> None:
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, camera(scene_with_person(room, truth), gain=gain), prob, alpha)
    assert fusion.last_gain == pytest.approx(gain, abs=0.01)
    assert fusion.status is not None and fusion.status.state is RoomState.IN_USE
    assert iou(out, truth) > 0.97


def _webcam(scene: np.ndarray, seed: int) -> np.ndarray:
    """``scene`` as a cheap webcam gives it: heavy sensor noise, then JPEG at quality 70 (MJPEG)."""
    frame = camera(scene, noise=6.0, seed=seed)
    return cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 70])[1], cv2.IMREAD_UNCHANGED)


def test_noise_and_compression_do_not_show(room: np.ndarray) -> None:
    """Heavy sensor noise and JPEG artefacts, in the frames and in the room learned from the same camera (the median
    of 15 frames): no specks of the poster are kept, no holes are cut in the person."""
    fusion = RoomFusion(clock=FrameClock())
    fusion.use_plate(np.median(np.stack([_webcam(room, seed) for seed in range(15)]), axis=0).astype(np.uint8))
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, _webcam(scene_with_person(room, truth), seed=99), prob, alpha)
    x0, y0, x1, y1 = POSTER
    assert (out[y0:y1, x0:x1] >= 128).sum() == 0
    inside = cv2.erode(truth.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert out[inside].min() >= 240
    assert fusion.last_mismatch is not None and fusion.last_mismatch < 0.02


def test_a_moved_camera_falls_back_to_the_model_at_once_and_is_reported_within_a_second(room: np.ndarray) -> None:
    clock = FrameClock()
    fusion = RoomFusion(clock=clock)
    fusion.use_plate(room)
    moved = cv2.warpAffine(room, np.float32([[1, 0, 12], [0, 1, 4]]), (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)
    truth = person_truth()
    prob, alpha = model_mask(truth)
    for _ in range(10):
        fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
        clock.now += 1 / 30
    reported_after = None
    for index in range(30):
        out = fused(fusion, camera(scene_with_person(moved, truth), seed=index), prob, alpha)
        assert np.array_equal(out, alpha)  # the model alone from the first moved frame: never the room's guess
        assert fusion.status is not None
        if fusion.status.state is RoomState.NOT_MATCHING and reported_after is None:
            reported_after = index / 30
        clock.now += 1 / 30
    assert reported_after is not None and reported_after <= max(LOSE_SECONDS + 0.1, 0.5)
    assert fusion.status is not None and fusion.status.reason == "the camera moved"


def test_it_matches_again_once_the_room_is_back_for_a_while(room: np.ndarray) -> None:
    clock = FrameClock()
    fusion = RoomFusion(clock=clock)
    fusion.use_plate(room)
    truth = person_truth()
    prob, alpha = model_mask(truth)
    dark = scene_with_person(room, truth)
    dark[:, : WIDTH // 2] = dark[:, : WIDTH // 2] // 2  # a lamp went off: half the room is darker, half is not
    for _ in range(20):
        fused(fusion, camera(dark), prob, alpha)
        clock.now += 1 / 30
    assert fusion.status is not None and fusion.status.state is RoomState.NOT_MATCHING
    frames_back = 0
    while fusion.status.state is not RoomState.IN_USE and frames_back < 90:
        out = fused(fusion, camera(scene_with_person(room, truth), seed=frames_back), prob, alpha)
        if fusion.status.state is not RoomState.IN_USE:
            assert np.array_equal(out, alpha)
        frames_back += 1
        clock.now += 1 / 30
    assert REGAIN_SECONDS * 30 <= frames_back <= REGAIN_SECONDS * 30 + 3


def test_a_plate_of_another_shape_leaves_the_model_alone_and_says_why(room: np.ndarray) -> None:
    fusion = RoomFusion(clock=FrameClock())
    fusion.use_plate(cv2.resize(room, (480, 360)))  # 4:3 against 16:9 frames
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    assert np.array_equal(out, alpha)
    assert fusion.status is not None and fusion.status.state is RoomState.NOT_MATCHING
    assert "480x360" in fusion.status.reason and "640x360" in fusion.status.reason


def test_a_plate_of_another_size_and_the_same_shape_is_scaled_to_the_frames(room: np.ndarray) -> None:
    fusion = RoomFusion(clock=FrameClock())
    fusion.use_plate(cv2.resize(room, (1280, 720), interpolation=cv2.INTER_LINEAR))
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    assert fusion.status is not None and fusion.status.state is RoomState.IN_USE
    assert iou(out, truth) > 0.95


def test_any_failure_inside_leaves_the_models_alpha(fusion: RoomFusion, room: np.ndarray, monkeypatch) -> None:
    def broken(*_args: object) -> None:
        raise ValueError("broken on purpose")

    monkeypatch.setattr(fusion, "_compare", broken)
    truth = person_truth()
    prob, alpha = model_mask(truth)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    assert np.array_equal(out, alpha)
    assert fusion.status is not None and fusion.status.state is RoomState.NOT_MATCHING
    assert "broken on purpose" in fusion.status.reason


def test_without_a_plate_nothing_changes(room: np.ndarray) -> None:
    fusion = RoomFusion(clock=FrameClock())
    truth = person_truth()
    prob, alpha = model_mask(truth)
    assert np.array_equal(fused(fusion, camera(scene_with_person(room, truth)), prob, alpha), alpha)
    assert fusion.status is None


def test_someone_filling_the_picture_is_not_judged_by_the_room(fusion: RoomFusion, room: np.ndarray) -> None:
    """With nearly nothing of the room in view there is no gain to measure: the model's mask is used as it is."""
    truth = np.ones((HEIGHT, WIDTH), bool)
    truth[:20] = False
    prob, alpha = model_mask(truth, poster=False)
    out = fused(fusion, camera(scene_with_person(room, truth)), prob, alpha)
    assert np.array_equal(out, alpha)
    assert fusion.last_mismatch is None
