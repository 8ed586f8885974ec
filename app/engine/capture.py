"""The capture thread: reads a source and publishes the newest frame into a ``LatestSlot``.

Files and test patterns are paced at their own fps (cameras pace themselves). If the source fails (for example a
camera is unplugged) the thread reports it once, retries opening it every ``retry_seconds`` and reports recovery once
the source has delivered frames for that long again (a source that opens and fails again at once is not "back").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import cv2

from app.engine.events import EngineEvent, EventCallback, EventKind, EventSource
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
        mirror: Callable[[], bool],
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
        self._failure: str | None = None  # the failure reported last, until the source is back

    def stop(self) -> None:
        self._stop_requested.set()

    def _report_failure(self, error: Exception) -> None:
        """An ERROR event, unless it says what the last one said and the source has not been back since: a source
        that opens and fails again at once (a damaged file, a camera that gives no frames) is reported once."""
        message = f"{_describe(error)}; retrying every {self._retry_seconds:g} s"
        if message != self._failure:
            self._failure = message
            self._on_event(EngineEvent(EventKind.ERROR, EventSource.CAPTURE, message))

    def _open(self) -> FrameSource | None:
        try:
            source = self._opener(self.spec)
        except Exception as error:  # a driver failure must not end the capture thread
            self._report_failure(error)
            return None
        self.source_info = source.description
        if self._failure is None:  # while failing, the source counts as back once it delivers (``_delivered``)
            self._on_event(EngineEvent(EventKind.INFO, EventSource.CAPTURE, f"opened {source.description}"))
        return source

    def _delivered(self, source: FrameSource, frames_since_open: int) -> None:
        """After a failure, report the source back once it has delivered ``retry_seconds`` worth of frames (at least
        one): one that fails again within that time stays in the failure already reported."""
        if self._failure is not None and frames_since_open >= max(1, round(source.fps * self._retry_seconds)):
            self._failure = None
            self._on_event(EngineEvent(EventKind.RECOVERED, EventSource.CAPTURE, f"{source.description} is back"))

    def run(self) -> None:
        source = self._source
        frames_since_open = 0
        try:
            while not self._stop_requested.is_set():
                if source is None:
                    source = self._open()
                    frames_since_open = 0
                    if source is None:
                        self._stop_requested.wait(self._retry_seconds)
                        continue
                next_due = time.monotonic() + (0.0 if source.realtime else 1.0 / source.fps)
                try:
                    frame = source.read()
                except Exception as error:  # a driver failure must not end the capture thread
                    source.close()
                    source = None
                    self._report_failure(error)
                    continue
                if frame is None:
                    self.ended.set()
                    break
                frames_since_open += 1
                self._delivered(source, frames_since_open)
                if self._mirror():
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
