"""Run segmentation with a time bound, so a stalled model cannot freeze the stream or leak the room.

``SegmentationGuard.run`` returns the segmentation's result, or raises ``SegmentationError`` when the model raised or
did not answer within ``timeout`` seconds. While a stalled call is still running, later calls fail at once instead of
piling up.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from segmentation import ModelOutputError

T = TypeVar("T")


class SegmentationError(RuntimeError):
    """Segmentation raised or stalled; the message is meant for the user."""


SAFE_FRAME_NOTE = "; showing a safe frame until it recovers"  # ends every message of a failed segmentation


def describe_failure(error: BaseException) -> str:
    """The user's message for a model that raised ``error``: a ``ModelOutputError`` already says what came back;
    anything else is named, since it is not one we expected."""
    reason = str(error) if isinstance(error, ModelOutputError) else f"{type(error).__name__}: {error}"
    return f"segmentation failed ({reason}){SAFE_FRAME_NOTE}"


class SegmentationGuard:
    """One worker thread that runs segmentation calls, each bounded by a timeout."""

    def __init__(self, timeout: float = 0.5) -> None:
        self.timeout = timeout
        self._worker = _DaemonWorker()
        self._pending: Future | None = None

    def run(self, segment: Callable[[], T]) -> T:
        """``segment()``'s result, or ``SegmentationError`` when it raised or took longer than ``timeout``."""
        if self._pending is not None:
            if not self._pending.done():
                raise SegmentationError(self._stalled_message())
            self._pending = None  # the stalled call finished; its stale result is not used
        future = self._worker.submit(segment)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            self._pending = future
            raise SegmentationError(self._stalled_message()) from None
        except Exception as error:  # any model/backend failure must become a safe frame, not a crash
            raise SegmentationError(describe_failure(error)) from error

    def _stalled_message(self) -> str:
        """One message for the whole stall, whether a call just timed out or is still running: the user sees one
        error, not two alternating every frame."""
        return f"segmentation is stalled (no answer within {self.timeout * 1000:.0f} ms){SAFE_FRAME_NOTE}"

    def close(self) -> None:
        self._worker.close()


class _DaemonWorker:
    """One daemon thread that runs submitted calls in turn, each answered through a ``Future``.

    Not a ``ThreadPoolExecutor``: Python joins its threads when the program exits, so a model stuck in native code
    for a minute held the program open that long after the stream had stopped (or after Ctrl+C). A daemon thread is
    left behind instead.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future] | None] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="greenroom-segment", daemon=True).start()

    def submit(self, call: Callable[[], T]) -> Future:
        future: Future = Future()
        self._jobs.put((call, future))
        return future

    def close(self) -> None:
        """Let the thread end once the calls submitted before are done (there is at most one)."""
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as error:  # handed to the waiting caller
                future.set_exception(error)
