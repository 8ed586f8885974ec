"""The capture thread: reads a source and publishes the newest frame into a ``LatestSlot``.

Files and test patterns are paced at their own fps (cameras pace themselves). If the source fails (for example a
camera is unplugged) the thread reports it once, retries opening it every ``retry_seconds`` and reports recovery.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import cv2

from app.engine.events import EngineEvent, EventCallback, EventKind
from app.engine.settings import SourceSpec
from app.engine.slot import LatestSlot
from app.engine.sources import Frame, FrameSource, SourceError, open_source


class CaptureThread(threading.Thread):
    """Cooperatively stoppable reader thread; ``source_info`` describes what is open now."""

    def __init__(
        self,
        spec: SourceSpec,
        slot: LatestSlot[Frame],
        on_event: EventCallback,
        *,
        mirror: threading.Event,
        retry_seconds: float = 2.0,
        first_source: FrameSource | None = None,
        opener: Callable[[SourceSpec], FrameSource] = open_source,
    ) -> None:
        super().__init__(name="greenroom-capture", daemon=True)
        self.spec = spec
        self._slot = slot
        self._on_event = on_event
        self._mirror = mirror
        self._retry_seconds = retry_seconds
        self._stop_requested = threading.Event()
        self._source = first_source
        self._opener = opener
        self.source_info = first_source.description if first_source else ""
        self.ended = threading.Event()  # set when a non-looping file has no more frames

    def stop(self) -> None:
        self._stop_requested.set()

    def _report_failure(self, error: Exception) -> None:
        message = f"{_describe(error)}; retrying every {self._retry_seconds:g} s"
        self._on_event(EngineEvent(EventKind.ERROR, "capture", message))

    def _open(self) -> FrameSource | None:
        try:
            source = self._opener(self.spec)
        except Exception as error:  # a driver failure must not end the capture thread
            self._report_failure(error)
            return None
        self.source_info = source.description
        self._on_event(EngineEvent(EventKind.INFO, "capture", f"opened {source.description}"))
        return source

    def run(self) -> None:
        failing = False
        source = self._source
        try:
            while not self._stop_requested.is_set():
                if source is None:
                    source = self._open()
                    if source is None:
                        failing = True
                        self._stop_requested.wait(self._retry_seconds)
                        continue
                    if failing:
                        self._on_event(EngineEvent(EventKind.RECOVERED, "capture", f"{source.description} is back"))
                        failing = False
                next_due = time.monotonic() + (0.0 if source.realtime else 1.0 / source.fps)
                try:
                    frame = source.read()
                except Exception as error:  # a driver failure must not end the capture thread
                    source.close()
                    source = None
                    failing = True
                    self._report_failure(error)
                    continue
                if frame is None:
                    self.ended.set()
                    break
                if self._mirror.is_set():
                    frame = Frame(cv2.flip(frame.rgb, 1), frame.index, frame.captured_at)
                self._slot.put(frame)
                delay = next_due - time.monotonic()
                if delay > 0:
                    self._stop_requested.wait(delay)
        finally:
            if source is not None:
                source.close()


def _describe(error: Exception) -> str:
    """A ``SourceError`` already says what to do; anything else is named, since it is not one we expected."""
    if isinstance(error, SourceError):
        return str(error)
    return f"the source failed ({type(error).__name__}: {error})"
