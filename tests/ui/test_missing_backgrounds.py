"""A background whose file has gone: the gallery falls back to the Blur tile and says so plainly, once."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.engine.settings import BackgroundKind, BackgroundSpec

pytestmark = pytest.mark.gui


def _picture(path: Path) -> Path:
    cv2.imwrite(str(path), np.full((90, 160, 3), 150, np.uint8))
    return path.resolve()


def _row_of(gallery, path: Path) -> int:
    return [spec.path for spec in gallery.specs()].index(path)


def test_picking_a_gallery_file_deleted_while_running_selects_the_blur_tile_and_says_so(
    open_window, click_item, tmp_path
):
    gone = _picture(tmp_path / "gone.png")
    window = open_window()
    gallery = window.gallery
    gallery.add_files([gone])
    gallery.blur_slider.slider.setValue(30)
    gallery.list_widget().setCurrentRow(1)  # the green screen
    gone.unlink()

    emitted = []
    gallery.background_chosen.connect(emitted.append)
    click_item(gallery, _row_of(gallery, gone))
    blur = BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=0.3)
    assert emitted == [blur]  # one change, to the blur: never the file that is not there
    assert gallery.current() == blur and window.render_settings.background == blur
    listing = gallery.list_widget()
    assert listing.currentRow() == 0 and [listing.row(item) for item in listing.selectedItems()] == [0]
    assert listing.viewport().rect().contains(listing.visualItemRect(listing.item(0)))  # scrolled into sight
    assert window.status.currentMessage() == "Background: blur 0.30"
    assert "gone.png was not found at" in window.banners.visible_text()
    assert "using blur 0.30 instead" in window.banners.visible_text()

    click_item(gallery, 1)  # the green screen: the warning that the blur is in use has done its job
    assert "was not found" not in window.banners.visible_text()


def test_next_and_previous_step_over_a_gallery_file_that_has_gone(open_window, tmp_path):
    gone, kept = _picture(tmp_path / "gone.png"), _picture(tmp_path / "kept.png")
    window = open_window()
    gallery = window.gallery
    gallery.add_files([gone, kept])
    gone.unlink()
    gallery.list_widget().setCurrentRow(_row_of(gallery, gone) - 1)

    window.window_actions.next_background.trigger()
    assert window.render_settings.background.path == kept  # not back to the blur, and so round in a circle
    window.window_actions.previous_background.trigger()
    assert gallery.list_widget().currentRow() == _row_of(gallery, gone) - 1


def test_the_warning_about_a_missing_saved_background_goes_when_another_is_picked(
    open_window, store, click_item, tmp_path
):
    gone = tmp_path / "gone.png"
    store.save_user_backgrounds([gone])
    store.save_background(BackgroundSpec(kind=BackgroundKind.IMAGE, path=gone))
    window = open_window()
    assert "Your background gone.png was not found" in window.banners.visible_text()

    click_item(window.gallery, 1)  # the green screen
    assert window.render_settings.background.kind is BackgroundKind.GREEN
    assert "not found" not in window.banners.visible_text()


def test_gallery_files_not_found_at_start_up_are_named_in_plain_words(open_window, store, tmp_path):
    store.save_user_backgrounds([tmp_path / "gone.png"])
    window = open_window()
    assert window.banners.visible_text() == (
        "gone.png is no longer in the gallery: the file was not found. It comes back when the file does."
    )
    window.close()

    store.save_user_backgrounds([tmp_path / "gone.png", tmp_path / "old.jpg", tmp_path / "away.mp4"])
    again = open_window()
    assert again.banners.visible_text() == (
        "gone.png, old.jpg and away.mp4 are no longer in the gallery: the files were not found. They come back when "
        "the files do."
    )


def test_a_missing_saved_background_and_other_missing_gallery_files_are_both_named(
    open_window, store, click_item, tmp_path
):
    saved, other = tmp_path / "saved.png", tmp_path / "other.png"
    store.save_user_backgrounds([saved, other])
    store.save_background(BackgroundSpec(kind=BackgroundKind.IMAGE, path=saved))
    window = open_window()
    text = window.banners.visible_text()
    assert "Your background saved.png was not found" in text
    assert "other.png is no longer in the gallery" in text and "saved.png is no longer" not in text  # named once

    click_item(window.gallery, 1)  # the green screen
    assert window.banners.visible_text() == (
        "other.png is no longer in the gallery: the file was not found. It comes back when the file does."
    )
