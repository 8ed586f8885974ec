"""``AutoSave``: writes the settings shortly after each change, so a crash or a killed process loses nothing.

A burst of changes (a slider dragged, keys held down) restarts one single-shot timer, so the settings file is written
once, ``delay_ms`` after the last change, not on every tick.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

SAVE_DELAY_MS = 700


class AutoSave(QObject):
    """``schedule()`` after a change; ``save()`` runs ``delay_ms`` after the last one."""

    def __init__(
        self, save: Callable[[], None], *, delay_ms: int = SAVE_DELAY_MS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._save = save
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._save)

    @property
    def pending(self) -> bool:
        """True while a change waits to be written."""
        return self._timer.isActive()

    def schedule(self) -> None:
        """Note a change: (re)start the countdown to the next save."""
        self._timer.start()

    def cancel(self) -> None:
        """Drop a pending save (the caller saves by other means, for example on close)."""
        self._timer.stop()
