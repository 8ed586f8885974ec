"""Only me on hand-made low-resolution masks: who is kept, who is removed, and when the lock comes back.

Masks are 256x144 like the model's at the default input: people are upright ellipses. The clock is a fake, one
frame = 1/30 s.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.engine.only_me import REACQUIRE_SECONDS, LockState, MainPersonFilter

WIDTH, HEIGHT = 256, 144


class FrameClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += 1 / 30


def person(centre_x: float, *, width: float = 40, height: float = 110, centre_y: float = 90) -> np.ndarray:
    """(H, W) float32 mask of one upright person (an ellipse), 1 inside."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    return ((((xs - centre_x) / (width / 2)) ** 2 + ((ys - centre_y) / (height / 2)) ** 2) <= 1).astype(np.float32)


def scene(*people: np.ndarray) -> np.ndarray:
    return np.maximum.reduce([np.zeros((HEIGHT, WIDTH), np.float32), *people])


def run(frames: list[np.ndarray]) -> tuple[list[np.ndarray], list[LockState]]:
    clock = FrameClock()
    only_me = MainPersonFilter(clock)
    masks, states = [], []
    for frame in frames:
        result = only_me.filter(frame, frame)
        masks.append(result.mask)
        states.append(result.state)
        clock.tick()
    return masks, states


def shown(mask: np.ndarray, who: np.ndarray) -> float:
    """The share of ``who``'s pixels that ``mask`` shows as person."""
    return float(((mask >= 0.5) & (who >= 0.5)).sum() / (who >= 0.5).sum())


def test_a_bystander_who_walks_in_stands_apart_and_leaves_is_never_shown() -> None:
    main = person(128)
    path = [*np.linspace(300, 220, 30), *[220] * 20, *np.linspace(220, 300, 20)]  # in from the right and out again
    bystanders = [person(x, width=36, height=90, centre_y=100) for x in path]
    masks, states = run([scene(main, bystander) for bystander in bystanders])
    assert all(state is LockState.LOCKED for state in states)
    for mask, bystander in zip(masks, bystanders, strict=True):
        apart = bystander * (1 - np.clip(main + 0, 0, 1))  # the bystander's own pixels, not those in front of main
        if apart.sum() > 0:
            assert shown(mask, apart) <= 0.02
        assert shown(mask, main) >= 0.99


def test_of_two_people_far_apart_the_larger_nearer_the_centre_is_locked() -> None:
    near = person(150, width=50, height=120)
    far = person(30, width=30, height=70, centre_y=100)
    masks, _ = run([scene(near, far)] * 5)
    assert shown(masks[-1], near) == 1.0 and shown(masks[-1], far) == 0.0


def test_when_the_main_person_leaves_only_the_background_shows_and_they_are_found_where_they_left() -> None:
    main, other = person(128), person(40, width=30, height=80, centre_y=100)
    frames = [scene(main, other)] * 10 + [scene(other)] * 20 + [scene(main, other)] * 5
    masks, states = run(frames)
    assert states[9] is LockState.LOCKED and states[10] is LockState.SEARCHING
    assert all(mask.max() == 0.0 for mask in masks[10:30])  # nobody shown, the other person neither
    assert states[30] is LockState.LOCKED and shown(masks[30], main) == 1.0 and shown(masks[30], other) == 0.0


def test_after_a_while_without_the_main_person_the_best_person_in_view_takes_the_lock() -> None:
    main, other = person(128), person(60, width=36, height=100)
    lost_frames = int(REACQUIRE_SECONDS * 30) + 3
    frames = [scene(main)] * 5 + [scene(other)] * lost_frames
    masks, states = run(frames)
    assert all(mask.max() == 0.0 for mask in masks[5 : 5 + int(REACQUIRE_SECONDS * 30) - 1])
    assert states[-1] is LockState.LOCKED and shown(masks[-1], other) == 1.0


def test_a_bystander_passing_right_behind_is_shown_only_while_they_overlap_and_does_not_steal_the_lock() -> None:
    main = person(128, width=50, height=120)
    path = np.linspace(10, 250, 60)
    bystanders = [person(x, width=34, height=80, centre_y=80) for x in path]
    masks, states = run([scene(main, bystander) for bystander in bystanders])
    for mask, bystander, x in zip(masks, bystanders, path, strict=True):
        assert shown(mask, main) >= 0.99  # the main person is never lost
        apart = bystander * (1 - main)
        touching = abs(x - 128) < (50 + 34) / 2 + 2
        if not touching and apart.sum() > 0:
            assert shown(mask, apart) <= 0.02, x
    assert all(state is LockState.LOCKED for state in states)


def test_a_hand_the_mask_cut_off_stays_with_its_person() -> None:
    main = person(128, width=50, height=110)
    hand = person(160, width=10, height=14, centre_y=70)  # a separate blob beside the shoulder
    masks, _ = run([scene(main, hand)] * 5)
    assert shown(masks[-1], hand) == 1.0


def test_the_lock_holds_when_the_adaptive_mode_changes_the_input_size() -> None:
    """A bystander larger and nearer the centre than the main person would win a new search: after the size change
    the main person must still be the one kept."""
    only_me = MainPersonFilter(FrameClock())
    main, bystander = person(60, width=30, height=80), person(150, width=60, height=130)
    only_me.filter(main, main)  # locked on the main person, alone
    both = scene(main, bystander)
    assert shown(only_me.filter(both, both).mask, bystander) == 0.0
    small = cv2.resize(both, (176, 96), interpolation=cv2.INTER_AREA)  # the ladder steps down
    result = only_me.filter(small, small)
    small_main = cv2.resize(main, (176, 96), interpolation=cv2.INTER_AREA)
    small_bystander = cv2.resize(bystander, (176, 96), interpolation=cv2.INTER_AREA)
    assert result.state is LockState.LOCKED and result.mask.shape == (96, 176)
    assert shown(result.mask, small_main) > 0.95 and shown(result.mask, small_bystander) == 0.0


@pytest.mark.parametrize("value", [0.3, 0.0])
def test_no_person_at_all_is_an_empty_mask(value: float) -> None:
    masks, states = run([np.full((HEIGHT, WIDTH), value, np.float32)] * 3)
    assert states == [LockState.SEARCHING] * 3 and all(mask.max() == 0.0 for mask in masks)
