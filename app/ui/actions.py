"""Keyboard shortcuts for the common actions, as QActions in the menus (which show each shortcut beside it).

The actions only trigger the widgets that hold the state (the mirror box, the virtual camera button, ...), so a
shortcut and a click do exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from app.ui.gallery import REMOVE_TEXT


@dataclass(frozen=True)
class WindowActions:
    """The window's actions; ``all()`` lists them in menu order (the outputs as in the Output panel: Record first)."""

    add_background: QAction
    next_background: QAction
    previous_background: QAction
    remove_background: QAction
    mirror: QAction
    mask_view: QAction
    only_me: QAction
    record: QAction
    virtual_camera: QAction
    quit: QAction
    shortcuts_help: QAction

    def all(self) -> list[QAction]:
        return [
            self.add_background,
            self.next_background,
            self.previous_background,
            self.remove_background,
            self.mirror,
            self.mask_view,
            self.only_me,
            self.record,
            self.virtual_camera,
            self.quit,
            self.shortcuts_help,
        ]


def _action(window: QWidget, text: str, *keys: QKeySequence | str | QKeySequence.StandardKey) -> QAction:
    action = QAction(text, window)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    shortcut_text = ", ".join(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) for key in keys)
    action.setToolTip(f"{text} ({shortcut_text})")
    window.addAction(action)  # active even when the menu bar is hidden
    return action


def create_actions(window: QMainWindow) -> WindowActions:
    """Create the actions with their shortcuts and put them in the window's menus."""
    actions = WindowActions(
        add_background=_action(window, "Add background image or video\N{HORIZONTAL ELLIPSIS}", "Ctrl+O"),
        next_background=_action(window, "Next background", "N", "Right"),
        previous_background=_action(window, "Previous background", "P", "Left"),
        remove_background=_action(window, REMOVE_TEXT, QKeySequence.StandardKey.Delete),
        mirror=_action(window, "Mirror", "M"),
        mask_view=_action(window, "Mask view", "K"),
        only_me=_action(window, "Only me", "O"),
        record=_action(window, "Record on/off", "R"),
        virtual_camera=_action(window, "Virtual camera on/off", "V"),
        quit=_action(window, "Quit", "Ctrl+Q"),
        shortcuts_help=_action(window, "Keyboard shortcuts", "F1"),
    )
    actions.quit.setMenuRole(QAction.MenuRole.QuitRole)
    menus = window.menuBar()
    file_menu = menus.addMenu("&File")
    file_menu.addAction(actions.add_background)
    file_menu.addAction(actions.remove_background)
    file_menu.addSeparator()
    file_menu.addAction(actions.quit)
    view_menu = menus.addMenu("&View")
    view_actions = (
        actions.next_background,
        actions.previous_background,
        actions.mirror,
        actions.mask_view,
        actions.only_me,
    )
    for action in view_actions:
        view_menu.addAction(action)
    stream_menu = menus.addMenu("&Stream")
    stream_menu.addAction(actions.record)
    stream_menu.addAction(actions.virtual_camera)
    help_menu = menus.addMenu("&Help")
    help_menu.addAction(actions.shortcuts_help)
    actions.shortcuts_help.triggered.connect(lambda: show_shortcuts(window, actions))
    return actions


def shortcuts_text(actions: WindowActions) -> str:
    """One line per action: ``N, Right  Next background``."""
    lines = []
    for action in actions.all():
        keys = ", ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())
        lines.append(f"{keys:<14}{action.text().rstrip(chr(0x2026))}")
    return "\n".join(lines)


def shortcuts_table(actions: WindowActions) -> str:
    """The shortcuts as a small two-column HTML table (keys in bold), for the side panel."""
    rows = []
    for action in actions.all():
        keys = " / ".join(key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts())
        text = action.text().rstrip(chr(0x2026))
        rows.append(f"<tr><td style='padding-right:12px'><b>{keys}</b></td><td>{text}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def show_shortcuts(parent: QWidget, actions: WindowActions) -> QMessageBox:
    """A non-modal window listing the shortcuts (the stream keeps running and stays in control)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts", "Greenroom keyboard shortcuts", parent=parent)
    box.setInformativeText(f"<pre>{shortcuts_text(actions)}</pre>")
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
