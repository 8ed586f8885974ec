"""``RoomCalibration``: the window's "Learn my room" from click to file, and which room picture the stream uses.

Learning: a countdown over the preview asks the user to step out of view (``COUNTDOWN_SECONDS``), then the engine
offers its frames to a ``RoomCapture`` for a few seconds; the result comes back on the GUI thread. A learned room is
kept in the settings folder per source and picture size (``RoomStore``) and used at once; a refusal says why on the
state line. ``follow`` is called as frames come: when the source or the picture size changes, the room learned for
it (if any) is used. The state line shows what the engine reports: in use, not matching (and why), none.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.engine.room_capture import LEARN_SECONDS, RoomCapture, RoomLearned
from app.engine.room_plate import RoomPlateError
from app.engine.room_store import RoomStore, room_key
from app.engine.settings import SourceSpec
from app.ui.room_panel import CountdownOverlay, RoomPanel
from app.ui.session import StreamSession

COUNTDOWN_SECONDS = 3
NO_FRAMES_SECONDS = 5.0  # learning gives up when the samples have not come this long after they were due


class RoomCalibration(QObject):
    """Drives ``panel`` and ``overlay``; ``use_plate(path or None)`` hands the window the room picture to use."""

    learned = Signal(object)  # RoomLearned, emitted from the capture's own thread (queued to the GUI thread)

    def __init__(
        self,
        panel: RoomPanel,
        overlay: CountdownOverlay,
        session: StreamSession,
        store: RoomStore,
        use_plate: Callable[[Path | None], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._panel, self._overlay, self._session, self._store = panel, overlay, session, store
        self._use_plate = use_plate
        self._where: tuple[str, int, int] | None = None  # (source key, width, height) of the frames now
        self.plate: Path | None = None
        self._capture: RoomCapture | None = None
        self._remaining = 0
        self._note = ""  # why the last attempt was refused, until the next one
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count_down)
        self._give_up = QTimer(self)
        self._give_up.setSingleShot(True)
        self._give_up.timeout.connect(self._no_frames)
        self.learned.connect(self._on_learned)
        panel.learn_requested.connect(self.start)
        panel.forget_requested.connect(self.forget)

    @property
    def learning(self) -> bool:
        return self._tick.isActive() or self._capture is not None

    # --- learning -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Count down, then learn the room from the stream's frames."""
        if self.learning:
            return
        if self._session.engine is None or not self._session.streaming:
            self._note = "cannot learn the room before the stream runs"
            self.show_state("")
            return
        self._note = ""
        self._remaining = COUNTDOWN_SECONDS
        self._overlay.show_text(f"Step out of view\n{self._remaining}")
        self._tick.start()
        self.show_state("")

    def _count_down(self) -> None:
        self._remaining -= 1
        if self._remaining > 0:
            self._overlay.show_text(f"Step out of view\n{self._remaining}")
            return
        self._tick.stop()
        engine = self._session.engine
        if engine is None:
            self._finish("the stream stopped")
            return
        self._overlay.show_text("Learning the room\N{HORIZONTAL ELLIPSIS}\nkeep out of view")
        self._capture = RoomCapture(on_done=self.learned.emit)
        engine.learn_room(self._capture)
        self._give_up.start(round((LEARN_SECONDS + NO_FRAMES_SECONDS) * 1000))
        self.show_state("")

    def cancel(self) -> None:
        """Stop a countdown or a learning attempt (the window closes)."""
        self._tick.stop()
        if self._capture is not None:
            self._capture.cancel()
            self._finish("")

    def _no_frames(self) -> None:
        if self._capture is not None and not self._capture.collected:
            self._capture.cancel()
            self._finish("no frames came from the source while learning; check the camera and try again")

    def _on_learned(self, learned: RoomLearned) -> None:
        if self._capture is None:  # given up on already
            return
        if learned.plate is None:
            self._finish(learned.error)
            return
        key = self._where[0] if self._where is not None else self._key_now()
        try:
            path = self._store.save(key, learned.plate)
        except RoomPlateError as error:
            self._finish(str(error))
            return
        height, width = learned.plate.shape[:2]
        self._where = (key, width, height)
        self._finish("")
        self._set_plate(path)

    def _finish(self, refusal: str) -> None:
        self._give_up.stop()
        self._capture = None
        self._overlay.hide()
        self._note = f"not learned: {refusal}" if refusal else ""
        self.show_state("")

    def _key_now(self) -> str:
        source = self._session.source
        return room_key(source) if source is not None else "unknown"

    # --- which room ---------------------------------------------------------------------------------------------
    def forget(self) -> None:
        """Remove the room learned for this source and size; the model alone makes the mask from the next frame."""
        if self._where is not None:
            self._store.forget(*self._where)
        self._note = ""
        self._set_plate(None)

    def follow(self, source: SourceSpec | None, size: tuple[int, int] | None) -> None:
        """The frames now come from ``source`` at ``size`` (width, height): use the room learned for them, if any."""
        if source is None or size is None:
            return
        where = (room_key(source), size[0], size[1])
        if where == self._where:
            return
        self._where = where
        self._set_plate(self._store.find(*where))

    def _set_plate(self, path: Path | None) -> None:
        if path != self.plate:
            self.plate = path
            self._use_plate(path)
        self.show_state("")

    def show_state(self, reported: str) -> None:
        """The state line from what the engine reports (``StatsSnapshot.room``: "in use", "not matching: why", or
        "" without a room picture) and from learning."""
        if self.learning:
            text = "Room: learning\N{HORIZONTAL ELLIPSIS}"
        elif self._note:
            text = f"Room: {self._note}"
        elif self.plate is None:
            text = "Room: none"
        elif reported.startswith("not matching"):
            reason = reported.partition(": ")[2] or "the picture changed"
            text = f"Room: not matching \N{EM DASH} {reason}; Learn again"
        elif reported:
            text = f"Room: {reported}"
        else:
            text = "Room: in use"
        self._panel.show_state(text, has_room=self.plate is not None, learning=self.learning)
