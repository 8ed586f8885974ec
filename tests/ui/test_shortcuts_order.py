"""The keyboard lists (the side panel's table, the F1 window, the Stream menu) name the outputs in the order the
Output panel shows them."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from app.ui.actions import create_actions, shortcuts_table, show_shortcuts
from app.ui.output_panel import OutputPanel

pytestmark = pytest.mark.gui


def _in_order(listing: str, texts: list[str]) -> bool:
    positions = [listing.index(text) for text in texts]
    return positions == sorted(positions)


def test_record_and_virtual_camera_are_listed_in_the_output_panel_s_order(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    actions = create_actions(window)
    panel = OutputPanel()
    qtbot.addWidget(panel)
    layout = panel.layout()
    switches: dict[QAction, int] = {
        actions.record: layout.getItemPosition(layout.indexOf(panel.record))[0],
        actions.virtual_camera: layout.getItemPosition(layout.indexOf(panel.virtual_camera))[0],
    }
    as_in_panel = sorted(switches, key=switches.__getitem__)
    texts = [action.text() for action in as_in_panel]

    assert _in_order(shortcuts_table(actions), texts)  # the side panel's Keyboard group
    box = show_shortcuts(window, actions)  # the F1 window
    assert _in_order(box.informativeText(), texts)
    box.close()
    stream_menu = next(menu for menu in window.menuBar().actions() if menu.text() == "&Stream").menu()
    assert stream_menu.actions() == as_in_panel
