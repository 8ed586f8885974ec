"""Output switches: recording to a file and the virtual camera, each with a line that says its state.

The panel only shows state and reports clicks (``virtual_camera_toggled(bool)``, ``recording_toggled(bool)``,
``folder_requested(Path)`` from the "Open folder" link of a saved recording); the window opens or closes the sinks and
calls ``show_virtual_camera``/``show_virtual_camera_setup``/``show_recording``/``show_saved`` with the outcome, so a
switch that could not be turned on falls back to off and says why.

Without a virtual camera device the state is one short line whose link opens the setup explanation (several lines
with commands to copy) in a window of its own: in the panel it pushed the rest of the side panel off a small screen.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.ui.wrapping_label import breakable

_ON_STYLE = "QPushButton:checked { background: #2f7d4f; color: white; border: 1px solid #3fa463; }"
_RECORD_STYLE = "QPushButton:checked { background: #a2323a; color: white; border: 1px solid #c2474f; }"
# A state line's link ("How to set one up", "Open folder") is a Tab stop too: Enter opens it without a mouse.
_LINK_LABEL_FLAGS = (
    Qt.TextInteractionFlag.TextSelectableByMouse
    | Qt.TextInteractionFlag.LinksAccessibleByMouse
    | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
)
_SETUP_LINK = "setup"  # the href of the "How to set one up" link
_SETUP_TITLE = "Set up a virtual camera"


class OutputPanel(QWidget):
    """Two checkable buttons, each with a word-wrapped state label beside it."""

    virtual_camera_toggled = Signal(bool)
    recording_toggled = Signal(bool)
    folder_requested = Signal(object)  # Path of the folder to show in the file manager

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.virtual_camera = QPushButton("Virtual camera")
        self.virtual_camera.setCheckable(True)
        self.virtual_camera.setToolTip("Send the picture to a virtual camera that video-call apps can pick (V)")
        self.virtual_camera.setStyleSheet(_ON_STYLE)
        self.virtual_camera_state = _state_label("Off")
        self.virtual_camera_state.setTextInteractionFlags(_LINK_LABEL_FLAGS)
        self.virtual_camera_state.linkActivated.connect(self._on_virtual_camera_link)
        self._setup = ("", "")  # the explanation and the driver's details behind the "How to set one up" link
        self.setup_dialog: QMessageBox | None = None  # created on the first click on that link
        self.record = QPushButton("Record")
        self.record.setCheckable(True)
        self.record.setToolTip("Record the picture to an .mp4 file in your Videos folder (R)")
        self.record.setStyleSheet(_RECORD_STYLE)
        self.record_state = _state_label("Not recording")
        self.record_state.setTextInteractionFlags(_LINK_LABEL_FLAGS)
        self.record_state.linkActivated.connect(lambda link: self.folder_requested.emit(Path(QUrl(link).toLocalFile())))
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setColumnStretch(1, 1)
        # Recording first: a long virtual camera state (a driver's error) must not push the recording's time and its
        # "Open folder" link out of sight on a small screen.
        layout.addWidget(self.record, 0, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.record_state, 0, 1)
        layout.addWidget(self.virtual_camera, 1, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.virtual_camera_state, 1, 1)
        self.virtual_camera.toggled.connect(self.virtual_camera_toggled)
        self.record.toggled.connect(self.recording_toggled)

    def show_virtual_camera(self, on: bool, text: str, *, detail: str = "") -> None:
        """Set the switch without emitting, and the state text (device name, or why it is off); ``detail`` (for
        example the driver's own error) goes in the tooltip. Without a device, ``show_virtual_camera_setup``."""
        _set_quietly(self.virtual_camera, on)
        self.virtual_camera_state.setTextFormat(Qt.TextFormat.PlainText)
        self.virtual_camera_state.setText(text)
        self.virtual_camera_state.setToolTip(detail or text)

    def show_virtual_camera_setup(self, summary: str, explanation: str, *, detail: str = "") -> None:
        """Switch off, and one short line: ``summary`` (for example "No driver found.") and a "How to set one up"
        link that opens ``explanation`` (what to install, the commands) in a non-modal window, with ``detail`` (the
        driver's own error) behind its "Show Details" button. The tooltip has the whole explanation too."""
        _set_quietly(self.virtual_camera, False)
        self._setup = (explanation, detail)
        self.virtual_camera_state.setTextFormat(Qt.TextFormat.RichText)
        self.virtual_camera_state.setText(f'{html.escape(summary)} <a href="{_SETUP_LINK}">How to set one up</a>')
        # As rich text, which a tooltip wraps (a plain one is a single line as wide as the text).
        paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in explanation.split("\n\n"))
        self.virtual_camera_state.setToolTip(paragraphs)
        if self.setup_dialog is not None:
            self._fill_setup_dialog(self.setup_dialog)  # a window left open shows the newest explanation

    def show_setup_help(self) -> QMessageBox:
        """Show the virtual camera setup explanation in a non-modal window (one, reused), its text selectable so the
        commands can be copied; returns it."""
        if self.setup_dialog is None:
            self.setup_dialog = QMessageBox(QMessageBox.Icon.Information, _SETUP_TITLE, "", parent=self)
            self.setup_dialog.setWindowModality(Qt.WindowModality.NonModal)
            self.setup_dialog.setTextFormat(Qt.TextFormat.PlainText)
            self.setup_dialog.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = self.setup_dialog
        self._fill_setup_dialog(box)
        box.show()
        box.raise_()
        box.activateWindow()
        return box

    def _fill_setup_dialog(self, box: QMessageBox) -> None:
        explanation, detail = self._setup
        box.setText(explanation)
        box.setDetailedText(detail)

    def _on_virtual_camera_link(self, link: str) -> None:
        if link == _SETUP_LINK:
            self.show_setup_help()

    def show_recording(self, on: bool, text: str, *, detail: str = "") -> None:
        """Set the switch without emitting, and the state text; ``detail`` (for example a full path) is the tooltip."""
        _set_quietly(self.record, on)
        self.record_state.setTextFormat(Qt.TextFormat.PlainText)
        self.record_state.setText(text)
        self.record_state.setToolTip(detail or text)

    def show_saved(self, path: Path) -> None:
        """Recording off: the file's name with an "Open folder" link (emits ``folder_requested``); the full path in
        the tooltip."""
        _set_quietly(self.record, False)
        folder = QUrl.fromLocalFile(str(path.parent)).toString()
        self.record_state.setTextFormat(Qt.TextFormat.RichText)
        self.record_state.setText(
            f'Saved {html.escape(breakable(path.name))} \N{EM DASH} <a href="{html.escape(folder)}">Open folder</a>'
        )
        self.record_state.setToolTip(str(path))


def _state_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _set_quietly(button: QPushButton, on: bool) -> None:
    button.blockSignals(True)
    button.setChecked(on)
    button.blockSignals(False)
