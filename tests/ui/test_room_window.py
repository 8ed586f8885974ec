"""Learn my room in the window: the countdown over the preview, learning from the stream, the state line, the file kept
per source and size in the settings folder (and found again by the next window), Forget room, and a refusal that says
why. The countdown is shortened to one second."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.engine.settings import SourceKind, SourceSpec
from app.ui import room_calibration

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def short_countdown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(room_calibration, "COUNTDOWN_SECONDS", 1)


def _moving_clip(path: Path, frames: int = 150) -> Path:
    """A 320x180 clip of a bright disc moving across a grey room."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (320, 180))
    for index in range(frames):
        bgr = np.full((180, 320, 3), 90, np.uint8)
        cv2.circle(bgr, (20 + 2 * index % 280, 90), 40, (230, 230, 230), -1)
        writer.write(bgr)
    writer.release()
    return path


def _state(window) -> str:
    return window.room_panel.state.text()


def test_learning_the_room_counts_down_learns_keeps_it_and_forgets_it(open_window, qtbot, store) -> None:
    window = open_window()
    qtbot.waitUntil(lambda: window.preview.frames_shown >= 3, timeout=10_000)
    qtbot.waitUntil(lambda: _state(window) == "Room: none", timeout=5_000)
    assert not window.room_panel.forget.isEnabled()
    window.room_panel.learn.click()
    assert window.countdown.isVisible() and window.countdown.text() == "Step out of view\n1"
    assert _state(window) == "Room: learning\N{HORIZONTAL ELLIPSIS}" and not window.room_panel.learn.isEnabled()
    qtbot.waitUntil(lambda: window.countdown.text().startswith("Learning the room"), timeout=3_000)
    qtbot.waitUntil(lambda: _state(window) == "Room: in use", timeout=15_000)
    assert not window.countdown.isVisible()
    files = list(store.rooms_folder().glob("room-video-still-*-320x180-*.png"))
    assert len(files) == 1
    assert window.render_settings.room_plate == files[0]
    assert window.session.engine is not None and window.session.engine.settings.room_plate == files[0]
    assert window.room_panel.learn.text() == "Learn again" and window.room_panel.forget.isEnabled()
    window.room_panel.forget.click()
    assert _state(window) == "Room: none" and window.render_settings.room_plate is None
    assert not files[0].exists()


def test_the_next_window_finds_the_room_learned_for_its_source_and_size(open_window, qtbot, store) -> None:
    first = open_window()
    qtbot.waitUntil(lambda: first.preview.frames_shown >= 3, timeout=10_000)
    first.room_panel.learn.click()
    qtbot.waitUntil(lambda: _state(first) == "Room: in use", timeout=15_000)
    learned = first.render_settings.room_plate
    first.close()
    second = open_window()
    qtbot.waitUntil(lambda: second.render_settings.room_plate == learned, timeout=10_000)
    qtbot.waitUntil(lambda: _state(second) == "Room: in use", timeout=5_000)


def test_a_refused_learning_says_why_on_the_state_line(open_window, qtbot, tmp_path: Path) -> None:
    """Something moves in view the whole time: the room is not learned, and the line says what to do."""
    moving = SourceSpec(kind=SourceKind.VIDEO, path=_moving_clip(tmp_path / "moving.mp4"))
    window = open_window(moving)
    qtbot.waitUntil(lambda: window.preview.frames_shown >= 3, timeout=10_000)
    window.room_panel.learn.click()
    qtbot.waitUntil(lambda: _state(window).startswith("Room: not learned: "), timeout=15_000)
    assert "try again" in _state(window) and window.render_settings.room_plate is None
    assert window.room_panel.learn.isEnabled() and not window.countdown.isVisible()
