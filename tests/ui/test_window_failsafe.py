"""The window with a model that returns NaN for a while: an error banner, never a frame of the room in the preview,
and the banner turns into "working again" when the model recovers."""

from __future__ import annotations

import time

import numpy as np
from faulty_models import FaultyBackend, faulty_segmenter

from app.engine.events import EventKind
from app.engine.settings import BackgroundKind, BackgroundSpec, QualityMode, RenderSettings

RIGHT_RGB = (50, 50, 210)  # the still clip's right half (tests/ui/conftest.py)

GREEN = BackgroundSpec(kind=BackgroundKind.COLOR, color=(0, 255, 0))


def test_a_model_returning_nan_shows_a_banner_never_the_room_and_recovers(
    open_window, qtbot, store, segmenter_factory
) -> None:
    backend = FaultyBackend(np.nan, bad_calls=set(range(15, 45)))  # good frames first, then a second of NaN
    segmenter_factory.segmenter = faulty_segmenter(backend)
    store.save_render_settings(RenderSettings(background=GREEN, smoothing=0.7, quality=QualityMode.SPEED))
    window = open_window()
    seen: list[np.ndarray] = []
    banner_seen = recovered = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not recovered:
        qtbot.wait(10)
        frame, _ = window.session.latest_frame()
        if frame is not None:
            seen.append(frame.rgb)
        text = window.banners.visible_text()
        banner_seen = banner_seen or "the model returned NaN or infinite values" in text
        recovered = banner_seen and any(
            banner.kind is EventKind.RECOVERED and "working again" in banner.text
            for banner in window.banners.visible_banners()
        )
    assert banner_seen and recovered and backend.calls >= 45
    for rgb in seen:  # the fake backend's room is the right half: the still clip's blue there must never show
        room = rgb[:, 200:].reshape(-1, 3).astype(int)
        assert np.abs(room - RIGHT_RGB).sum(axis=1).min() > 60
        assert (np.abs(room - (0, 255, 0)).max(axis=1) <= 2).all()
