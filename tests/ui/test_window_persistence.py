"""Settings reach the disk shortly after each change (a killed window loses nothing); the picked colour and the blur
strength are kept, also when the saved background's file has gone."""

from __future__ import annotations

import configparser
import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QSettings

from app.engine.settings import BackgroundKind, BackgroundSpec
from app.ui import SettingsStore
from app.ui.autosave import SAVE_DELAY_MS

pytestmark = pytest.mark.gui


def _on_disk(path: Path) -> configparser.ConfigParser:
    """The INI file as written to disk now (not QSettings' in-memory view of it)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


def test_changes_are_on_disk_shortly_after_they_are_made_without_closing(open_window, qtbot, tmp_path):
    ini = tmp_path / "greenroom.ini"
    window = open_window()
    qtbot.waitUntil(lambda: not window.autosave.pending, timeout=5_000)
    before = window.render_settings.background
    window.controls.mirror.click()
    window.window_actions.next_background.trigger()
    assert window.render_settings.background != before
    assert _on_disk(ini).get("render", "mirror", fallback="false") == "false"  # debounced, not written per change

    qtbot.waitUntil(lambda: _on_disk(ini).get("render", "mirror", fallback="") == "true", timeout=5_000)
    saved = SettingsStore(QSettings(str(ini), QSettings.Format.IniFormat)).render_settings()
    assert saved.mirror and saved.background == window.render_settings.background
    assert window.isVisible()  # saved while the window is still open: a crash now loses nothing


def test_a_slider_drag_is_written_once_after_it_settles(open_window, qtbot, store, monkeypatch):
    window = open_window()
    qtbot.waitUntil(lambda: not window.autosave.pending, timeout=5_000)
    writes = []
    monkeypatch.setattr(store, "sync", lambda: writes.append(window.controls.threshold.value()))
    for value in range(50, 80):
        window.controls.threshold.slider.setValue(value)
    assert writes == []
    qtbot.waitUntil(lambda: writes == [pytest.approx(0.79)], timeout=5_000)


def test_a_second_window_does_not_save_even_after_the_save_delay(open_window, qtbot, store, tmp_path):
    assert store.claim()
    second = SettingsStore(QSettings(str(tmp_path / "greenroom.ini"), QSettings.Format.IniFormat))
    assert not second.claim()
    window = open_window(store=second)
    window.controls.mirror.click()
    assert not window.autosave.pending
    qtbot.wait(SAVE_DELAY_MS + 300)
    assert _on_disk(tmp_path / "greenroom.ini").get("render", "mirror", fallback="false") == "false"


def test_the_picked_colour_is_kept_when_another_background_is_active_at_quit(open_window, services):
    window = open_window(services=dataclasses.replace(services, pick_color=lambda *_: (255, 0, 255)))
    window.gallery.color_button.click()
    assert window.render_settings.background.color == (255, 0, 255)
    window.window_actions.next_background.trigger()
    assert window.render_settings.background.kind is not BackgroundKind.COLOR
    window.close()

    again = open_window()
    colour = next(spec for spec in again.gallery.specs() if spec.kind is BackgroundKind.COLOR)
    assert colour.color == (255, 0, 255)
    assert again.gallery.custom_color() == (255, 0, 255)
    assert again.gallery.current().kind is not BackgroundKind.COLOR  # the active background is kept too


def test_the_blur_slider_switches_to_blur_and_its_strength_is_kept(open_window, qtbot):
    window = open_window()
    window.window_actions.next_background.trigger()
    assert window.render_settings.background.kind is not BackgroundKind.BLUR
    window.gallery.blur_slider.slider.setValue(90)  # as a drag ends
    assert window.render_settings.background.kind is BackgroundKind.BLUR
    assert window.render_settings.background.blur_strength == pytest.approx(0.9)

    def engine_background():
        engine = window.session.engine  # None until the model has loaded
        return None if engine is None else engine.settings.background

    qtbot.waitUntil(lambda: engine_background() == window.render_settings.background)
    window.window_actions.next_background.trigger()  # another background is active at quit
    window.close()

    again = open_window()
    assert again.gallery.blur_strength() == pytest.approx(0.9)
    assert again.gallery.blur_slider.value() == pytest.approx(0.9)
    assert again.render_settings.background.kind is not BackgroundKind.BLUR
    again.window_actions.previous_background.trigger()
    assert again.render_settings.background.kind is BackgroundKind.BLUR
    assert again.render_settings.background.blur_strength == pytest.approx(0.9)


def test_a_missing_picture_falls_back_to_blur_at_the_saved_strength_which_stays_saved(
    open_window, click_item, tmp_path
):
    ini = tmp_path / "greenroom.ini"
    picture = tmp_path / "gone.png"
    cv2.imwrite(str(picture), np.full((90, 160, 3), 150, np.uint8))
    window = open_window()
    window.gallery.add_files([picture])
    window.gallery.blur_slider.slider.setValue(0)  # the lightest blur, 0.00
    click_item(window.gallery, [spec.path for spec in window.gallery.specs()].index(picture.resolve()))
    assert window.render_settings.background.kind is BackgroundKind.IMAGE
    window.close()
    assert _on_disk(ini).getfloat("gallery", "blur_strength") == 0.0
    picture.unlink()

    again = open_window()
    assert "using blur 0.00" in again.banners.visible_text()
    assert again.gallery.blur_slider.value() == 0.0 and again.gallery.blur_strength() == 0.0
    assert again.gallery.current() == BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=0.0)
    assert again.render_settings.background == again.gallery.current()
    again.close()
    assert _on_disk(ini).getfloat("gallery", "blur_strength") == 0.0  # not the default written over it


@pytest.mark.parametrize(("width", "height", "fps"), [(-5, 720, 30.0), (1280, 10**9, 30.0), (1280, 720, "nan")])
def test_a_hand_edited_camera_size_or_rate_falls_back_to_the_defaults(tmp_path: Path, width, height, fps) -> None:
    """The saved camera's size and rate went to the driver as they were, however absurd."""
    from app.engine.settings import SourceKind, SourceSpec

    settings = QSettings(str(tmp_path / "greenroom.ini"), QSettings.Format.IniFormat)
    store = SettingsStore(settings)
    store.save_source(SourceSpec(kind=SourceKind.CAMERA, camera=2))
    settings.setValue("source/width", width)
    settings.setValue("source/height", height)
    settings.setValue("source/fps", fps)
    assert store.last_source() == SourceSpec(kind=SourceKind.CAMERA, camera=2)
