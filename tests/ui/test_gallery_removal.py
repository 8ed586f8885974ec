"""The user's own backgrounds can be taken out of the gallery (never off the disk); the built-in ones cannot."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from app.engine.settings import BackgroundKind

pytestmark = pytest.mark.gui

REMOVE = "Remove from gallery"


def _pictures(folder: Path, *names: str) -> list[Path]:
    paths = [folder / name for name in names]
    for path in paths:
        cv2.imwrite(str(path), np.full((90, 160, 3), 150, np.uint8))
    return [path.resolve() for path in paths]


def _row_of(gallery, path: Path) -> int:
    return [spec.path for spec in gallery.specs()].index(path)


def _menu_texts(gallery, row: int) -> list[str]:
    menu = gallery.context_menu(gallery.list_widget().item(row))
    return [] if menu is None else [action.text() for action in menu.actions()]


def _active_window_with(open_window, qtbot, pictures: list[Path]):
    """A window that has the keyboard focus, with ``pictures`` added to its gallery."""
    window = open_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.gallery.add_files(pictures)
    return window


def test_only_the_users_own_backgrounds_offer_removal(open_window, tmp_path):
    window = open_window()
    [beach] = _pictures(tmp_path, "beach.png")
    window.gallery.add_files([beach])
    gallery = window.gallery
    built_in = [row for row in range(gallery.list_widget().count()) if gallery.specs()[row].path != beach]
    assert built_in and all(REMOVE not in _menu_texts(gallery, row) for row in built_in)
    assert _menu_texts(gallery, _row_of(gallery, beach)) == [REMOVE]
    assert "remove" in gallery.list_widget().item(_row_of(gallery, beach)).toolTip().lower()


def test_a_right_click_asks_for_the_menu_without_switching_the_background(open_window, qtbot, monkeypatch, tmp_path):
    window = open_window()
    [beach] = _pictures(tmp_path, "beach.png")
    window.gallery.add_files([beach])
    active = window.render_settings.background
    listing = window.gallery.list_widget()
    item = listing.item(_row_of(window.gallery, beach))
    listing.scrollToItem(item)
    centre = listing.visualItemRect(item).center()
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.RightButton, pos=centre)
    assert window.render_settings.background == active  # a right-click is not a pick

    asked = []
    monkeypatch.setattr(window.gallery, "context_menu", asked.append)  # record instead of opening the menu
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre, listing.viewport().mapToGlobal(centre))
    QApplication.sendEvent(listing.viewport(), event)  # what the window system sends after the right-click
    assert asked == [item]


def test_removing_the_active_background_switches_to_the_next_one_keeps_the_file_and_is_saved(
    open_window, qtbot, store, tmp_path
):
    beach, city = _pictures(tmp_path, "beach.png", "city.png")
    window = open_window()
    gallery = window.gallery
    gallery.add_files([beach, city])
    gallery.list_widget().setCurrentRow(_row_of(gallery, beach))
    assert window.render_settings.background.path == beach

    [remove] = gallery.context_menu(gallery.list_widget().item(_row_of(gallery, beach))).actions()
    remove.trigger()
    assert gallery.user_files() == [city]
    assert window.render_settings.background.path == city and gallery.current().path == city
    assert beach.is_file()  # out of the gallery, not off the disk
    qtbot.waitUntil(lambda: store.user_backgrounds() == [city], timeout=5_000)  # saved without closing

    gallery.list_widget().setCurrentRow(0)  # the blur
    [remove] = gallery.context_menu(gallery.list_widget().item(_row_of(gallery, city))).actions()
    remove.trigger()  # not the active one: the background stays, and the removal is saved all the same
    assert gallery.current().kind is BackgroundKind.BLUR
    qtbot.waitUntil(lambda: store.user_backgrounds() == [], timeout=5_000)
    window.close()

    again = open_window()
    assert again.gallery.user_files() == []
    assert "not found" not in again.banners.visible_text()  # removed, not missing


def test_delete_removes_the_selected_user_background_and_nothing_else(open_window, qtbot, tmp_path):
    beach, city = _pictures(tmp_path, "beach.png", "city.png")
    window = _active_window_with(open_window, qtbot, [beach, city])
    gallery = window.gallery
    listing = gallery.list_widget()
    listing.setFocus()
    qtbot.waitUntil(listing.hasFocus)

    listing.setCurrentRow(1)  # the green screen, built in
    count = listing.count()
    qtbot.keyClick(listing, Qt.Key.Key_Delete)
    assert listing.count() == count and window.render_settings.background.kind is BackgroundKind.GREEN

    listing.setCurrentRow(_row_of(gallery, city))
    qtbot.keyClick(listing, Qt.Key.Key_Delete)
    assert gallery.user_files() == [beach] and city.is_file()
    assert window.render_settings.background.path == beach  # the last one gone: the one before it


def test_delete_removes_a_background_picked_with_the_keyboard_and_its_neighbour_takes_over(
    open_window, qtbot, tmp_path
):
    beach, city = _pictures(tmp_path, "beach.png", "city.png")
    window = _active_window_with(open_window, qtbot, [beach, city])
    gallery = window.gallery
    listing = gallery.list_widget()
    listing.setCurrentRow(_row_of(gallery, beach) - 1)  # the last bundled picture
    before_beach = gallery.current()
    window.preview.setFocus()  # as after a click on the picture: the gallery does not have the keyboard focus
    qtbot.waitUntil(window.preview.hasFocus)

    qtbot.keyClick(window.preview, Qt.Key.Key_N)
    assert window.render_settings.background.path == beach
    qtbot.keyClick(window.preview, Qt.Key.Key_Delete)
    assert gallery.user_files() == [city] and beach.is_file()
    assert window.render_settings.background.path == city  # the next one
    assert listing.currentItem().isSelected()

    qtbot.keyClick(window.preview, Qt.Key.Key_Delete)  # the last one: the one before it takes over
    assert gallery.user_files() == []
    assert window.render_settings.background == gallery.current() == before_beach

    count = listing.count()
    qtbot.keyClick(window.preview, Qt.Key.Key_Delete)  # a bundled picture stays, and the status bar says why
    assert listing.count() == count and window.render_settings.background == before_beach
    assert "Only your own pictures and videos" in window.status.currentMessage()


def test_delete_is_listed_in_the_keyboard_panel_and_the_f1_window(open_window):
    from app.ui.actions import shortcuts_text

    window = open_window()
    delete = QKeySequence(QKeySequence.StandardKey.Delete).toString(QKeySequence.SequenceFormat.NativeText)
    assert delete and f"<b>{delete}</b></td><td>{REMOVE}<" in window.shortcut_hint.text()
    assert any(line.split() == [delete, *REMOVE.split()] for line in shortcuts_text(window.window_actions).splitlines())
