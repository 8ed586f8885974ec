"""The window's "Learn my room" controls: two buttons, the room's state line, and the countdown over the preview.

The panel only shows and asks; ``RoomCalibration`` (``room_calibration.py``) runs the countdown, the learning and the
files.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class RoomPanel(QWidget):
    """``learn_requested`` and ``forget_requested`` fire on the buttons; ``show_state`` sets the state line."""

    learn_requested = Signal()
    forget_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.learn = QPushButton("Learn my room")
        self.learn.setToolTip(
            "Step out of view for a few seconds: Greenroom learns the empty room, and the mask becomes exact where "
            "the camera stands still (posters and photos of people stop showing as people)"
        )
        self.forget = QPushButton("Forget room")
        self.forget.setToolTip("Remove the learned room for this camera and size: the model alone makes the mask")
        self.state = QLabel("Room: none")
        self.state.setWordWrap(True)
        self.state.setObjectName("hint")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.learn)
        buttons.addWidget(self.forget)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.state)
        self.learn.clicked.connect(self.learn_requested)
        self.forget.clicked.connect(self.forget_requested)
        self.show_state("Room: none", has_room=False)

    def show_state(self, text: str, *, has_room: bool, learning: bool = False) -> None:
        """Show ``text`` on the state line; *Forget room* only while there is a room to forget, *Learn my room*
        (then *Learn again*) except while learning."""
        self.state.setText(text)
        self.forget.setEnabled(has_room and not learning)
        self.learn.setEnabled(not learning)
        self.learn.setText("Learn again" if has_room else "Learn my room")


class CountdownOverlay(QLabel):
    """Large text over the whole preview on a dimmed backdrop ("Step out of view: 3"); hidden until ``show_text``."""

    def __init__(self, preview: QWidget) -> None:
        super().__init__(preview)
        self.setObjectName("countdown")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "QLabel#countdown { background: rgba(10, 10, 12, 170); color: white; font-size: 30px; font-weight: 600; }"
        )
        preview.installEventFilter(self)
        self.setGeometry(preview.rect())
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False
