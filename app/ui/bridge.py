"""Thread hand-over to the GUI: engine events and background calls become Qt signals.

The engine calls ``on_event`` from its own threads; ``EngineBridge.post`` only emits a signal, which Qt queues to the
GUI thread because the bridge lives there. ``BackgroundCall`` runs one slow function (loading a model, probing CUDA)
on a plain worker thread and reports ``succeeded(result)`` or ``failed(error)`` the same way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, SignalInstance

from app.engine.events import EngineEvent


class EngineBridge(QObject):
    """``post`` is the engine's ``on_event`` callback; ``event_received(EngineEvent)`` fires on the GUI thread."""

    event_received = Signal(object)

    def post(self, event: EngineEvent) -> None:
        """Safe to call from any thread."""
        self.event_received.emit(event)


class BackgroundCall(QObject):
    """Runs ``function()`` once on a daemon thread; the result or exception arrives as a signal.

    A call cannot be interrupted half-way (model loading is one blocking step), so ``cancel()`` only drops its
    result: nothing is emitted after it. ``wait(timeout)`` joins the thread for at most ``timeout`` seconds.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, function: Callable[[], object], *, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._function = function
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"greenroom-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._function()
        except Exception as error:  # reported to the GUI, which shows it as a banner
            self._emit(self.failed, error)
        else:
            self._emit(self.succeeded, result)

    def _emit(self, signal: SignalInstance, value: object) -> None:
        if self._cancelled.is_set():
            return
        with contextlib.suppress(RuntimeError):  # the receiving window was destroyed while the call ran
            signal.emit(value)
