"""The adaptive quality controller: steps down on slow frames, up only when the better level is predicted to fit."""

import itertools

from app.engine.quality import FIXED_LEVELS, LADDER, AdaptiveQuality
from app.engine.settings import QualityMode

MS = 1e-3
FPS = 30.0  # a 33.3 ms frame budget: slow above 30 ms, room to step up below 25 ms
START = 2  # 256x144, every frame
UP = START - 1  # 288x160


def _run(controller: AdaptiveQuality, frames: int, work_ms: float, mask_ms: float | None) -> None:
    for _ in range(frames):
        controller.observe(work_ms * MS, FPS, mask_seconds=None if mask_ms is None else mask_ms * MS)


def test_the_ladder_starts_at_the_default_input_and_climbs_in_small_steps() -> None:
    assert LADDER[AdaptiveQuality().index].pixel_budget == 256 * 144
    assert [level.pixel_budget for level in LADDER[:START]] == [320 * 180, 288 * 160]
    for better, worse in itertools.pairwise(LADDER[: START + 1]):  # from the start to the top
        assert better.pixel_budget / worse.pixel_budget <= 1.25
    assert FIXED_LEVELS[QualityMode.QUALITY] == LADDER[0]
    assert FIXED_LEVELS[QualityMode.SPEED].pixel_budget == 192 * 108
    assert FIXED_LEVELS[QualityMode.SPEED].mask_interval == 1


def test_steps_up_when_the_larger_input_is_predicted_to_fit() -> None:
    # 17 ms per frame, 9 of them in the model: at 288x160 (1.25x the pixels) about 19 ms, below 25 ms.
    controller = AdaptiveQuality()
    _run(controller, 59, 17.0, 9.0)
    assert controller.index == START  # 60 frames of evidence are needed
    _run(controller, 1, 17.0, 9.0)
    assert controller.index == UP and LADDER[UP].pixel_budget == 288 * 160
    _run(controller, 60, 19.0, 11.0)  # about 22 ms at 320x180
    assert controller.index == 0 and LADDER[0].pixel_budget == 320 * 180


def test_a_frame_with_no_room_for_320x180_still_climbs_to_288x160() -> None:
    """20 ms a frame with 14 in the model: 320x180 (1.56x the pixels) would be predicted at 27.9 ms, over the 25-ms
    room line, so a ladder without the middle step would stay at 256x144; 288x160 is predicted at 23.5 ms."""
    controller = AdaptiveQuality()
    _run(controller, 60, 20.0, 14.0)
    assert controller.index == UP
    _run(controller, 300, 23.0, 17.0)  # there, 320x180 is predicted at 27.3 ms: it stays
    assert controller.index == UP


def test_stays_when_the_larger_input_would_not_leave_room() -> None:
    # 21 ms per frame is well under the budget, but with 17 ms in the model 288x160 would take about 25.3 ms.
    controller = AdaptiveQuality()
    _run(controller, 300, 21.0, 17.0)
    assert controller.index == START


def test_a_step_up_is_not_undone_while_frames_fit() -> None:
    controller = AdaptiveQuality()
    _run(controller, 60, 17.0, 9.0)
    assert controller.index == UP
    _run(controller, 600, 22.5, 14.0)  # what the larger input then costs: under the 30 ms slow line
    assert controller.index == UP


def test_steps_down_after_slow_frames() -> None:
    controller = AdaptiveQuality()
    _run(controller, 14, 31.0, 20.0)
    assert controller.index == START
    _run(controller, 1, 31.0, 20.0)
    assert controller.index == START + 1


def test_a_frame_that_reused_the_mask_is_charged_a_whole_new_one() -> None:
    controller = AdaptiveQuality()
    controller.index = START + 2  # 192x108, a new mask every 2 frames; one level up: 192x108 every frame
    assert controller.predicted_seconds_above(4 * MS, None) is None  # no mask timed yet: no evidence
    controller.observe(10 * MS, FPS, mask_seconds=6 * MS)
    assert abs(controller.predicted_seconds_above(4 * MS, None) - 10 * MS) < 1e-9
    controller.index = START + 2
    for _ in range(30):  # alternating frames, all predicted at about 10 ms
        controller.observe(10 * MS, FPS, mask_seconds=6 * MS)
        controller.observe(4 * MS, FPS, mask_seconds=None)
    assert controller.index == START + 1


def test_nothing_is_predicted_above_the_top_level() -> None:
    controller = AdaptiveQuality()
    controller.index = 0
    assert controller.predicted_seconds_above(1 * MS, 1 * MS) is None
    _run(controller, 300, 1.0, 1.0)
    assert controller.index == 0


def test_a_climb_that_is_undone_needs_more_evidence_next_time() -> None:
    """A machine where the prediction is wrong: 288x160 looks like it fits, then its frames are slow."""
    controller = AdaptiveQuality()
    climbs = []
    for frame in range(3000):
        if controller.index == UP:
            controller.observe(31 * MS, FPS, mask_seconds=15 * MS)  # slow at the larger input
        else:
            controller.observe(17 * MS, FPS, mask_seconds=9 * MS)  # predicted 19 ms one level up
            if controller.index == UP:
                climbs.append(frame)
    # climbs after 60, 240 and 960 frames of evidence (plus 15 slow frames each time), then not again in 3000
    assert len(climbs) == 3
    assert [b - a for a, b in itertools.pairwise(climbs)] == [15 + 240, 15 + 960]
    assert controller.frames_needed_to_climb() == 60 * 4**3


def test_a_climb_that_holds_keeps_the_normal_patience() -> None:
    controller = AdaptiveQuality()
    _run(controller, 60, 17.0, 9.0)
    assert controller.index == UP
    _run(controller, 400, 22.5, 14.0)  # holds for longer than the "soon" window (320x180 predicted at 26 ms)
    _run(controller, 15, 31.0, 20.0)  # later the machine gets busy: step down, not counted against the level
    assert controller.index == START
    assert controller.frames_needed_to_climb() == 60


def test_a_stream_starts_at_the_models_own_input_size() -> None:
    """The shipped model's spec names 288x160; a stream of a model whose own input is 256x144 starts there, and one
    between two levels starts at the smaller one (never above what the model was measured at)."""
    assert LADDER[AdaptiveQuality(model_budget=288 * 160).index].pixel_budget == 288 * 160
    assert AdaptiveQuality(model_budget=256 * 144).index == START
    assert LADDER[AdaptiveQuality(model_budget=300 * 170).index].pixel_budget == 288 * 160
    assert AdaptiveQuality(model_budget=1920 * 1080).index == 0
    tiny = LADDER[AdaptiveQuality(model_budget=64 * 36).index]
    assert (tiny.pixel_budget, tiny.mask_interval) == (192 * 108, 1)  # the fastest level with a mask every frame
