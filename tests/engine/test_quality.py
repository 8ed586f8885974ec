"""The adaptive quality controller: steps down on slow frames, up only when the better level is predicted to fit."""

import itertools

from app.engine.quality import LADDER, AdaptiveQuality

MS = 1e-3
FPS = 30.0  # a 33.3 ms frame budget: slow above 30 ms, room to step up below 25 ms


def _run(controller: AdaptiveQuality, frames: int, work_ms: float, mask_ms: float | None) -> None:
    for _ in range(frames):
        controller.observe(work_ms * MS, FPS, mask_seconds=None if mask_ms is None else mask_ms * MS)


def test_steps_up_when_the_larger_input_is_predicted_to_fit() -> None:
    # 17 ms per frame, 9 of them in the model: at 320x180 (1.5625x the pixels) about 22 ms, below 25 ms.
    controller = AdaptiveQuality()
    assert LADDER[controller.index].pixel_budget == 256 * 144
    _run(controller, 59, 17.0, 9.0)
    assert controller.index == 1  # 60 frames of evidence are needed
    _run(controller, 1, 17.0, 9.0)
    assert controller.index == 0 and LADDER[0].pixel_budget == 320 * 180


def test_stays_when_the_larger_input_would_not_leave_room() -> None:
    # 17 ms per frame is under half the budget, but with 15 ms in the model 320x180 would take about 25.4 ms.
    controller = AdaptiveQuality()
    _run(controller, 300, 17.0, 15.0)
    assert controller.index == 1


def test_a_step_up_is_not_undone_while_frames_fit() -> None:
    controller = AdaptiveQuality()
    _run(controller, 60, 17.0, 9.0)
    assert controller.index == 0
    _run(controller, 600, 22.5, 14.0)  # what the larger input then costs: under the 30 ms slow line
    assert controller.index == 0


def test_steps_down_after_slow_frames() -> None:
    controller = AdaptiveQuality()
    _run(controller, 14, 31.0, 20.0)
    assert controller.index == 1
    _run(controller, 1, 31.0, 20.0)
    assert controller.index == 2


def test_a_frame_that_reused_the_mask_is_charged_a_whole_new_one() -> None:
    controller = AdaptiveQuality()
    controller.index = 3  # 192x108, a new mask every 2 frames; one level up: 192x108 every frame
    assert controller.predicted_seconds_above(4 * MS, None) is None  # no mask timed yet: no evidence
    controller.observe(10 * MS, FPS, mask_seconds=6 * MS)
    assert abs(controller.predicted_seconds_above(4 * MS, None) - 10 * MS) < 1e-9
    controller.index = 3
    for _ in range(30):  # alternating frames, all predicted at about 10 ms
        controller.observe(10 * MS, FPS, mask_seconds=6 * MS)
        controller.observe(4 * MS, FPS, mask_seconds=None)
    assert controller.index == 2


def test_nothing_is_predicted_above_the_top_level() -> None:
    controller = AdaptiveQuality()
    controller.index = 0
    assert controller.predicted_seconds_above(1 * MS, 1 * MS) is None
    _run(controller, 300, 1.0, 1.0)
    assert controller.index == 0


def test_a_climb_that_is_undone_needs_more_evidence_next_time() -> None:
    """A machine where the prediction is wrong: 320x180 looks like it fits, then its frames are slow."""
    controller = AdaptiveQuality()
    climbs = []
    for frame in range(3000):
        if controller.index == 0:
            controller.observe(31 * MS, FPS, mask_seconds=15 * MS)  # slow at the larger input
        else:
            controller.observe(17 * MS, FPS, mask_seconds=9 * MS)  # predicted 22 ms one level up
            if controller.index == 0:
                climbs.append(frame)
    # climbs after 60, 240 and 960 frames of evidence (plus 15 slow frames each time), then not again in 3000
    assert len(climbs) == 3
    assert [b - a for a, b in itertools.pairwise(climbs)] == [15 + 240, 15 + 960]
    assert controller.frames_needed_to_climb() == 60 * 4**3


def test_a_climb_that_holds_keeps_the_normal_patience() -> None:
    controller = AdaptiveQuality()
    _run(controller, 60, 17.0, 9.0)
    assert controller.index == 0
    _run(controller, 400, 22.0, 14.0)  # holds for longer than the "soon" window
    _run(controller, 15, 31.0, 20.0)  # later the machine gets busy: step down, not counted against the level
    assert controller.index == 1
    assert controller.frames_needed_to_climb() == 60
