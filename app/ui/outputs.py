"""Owns the optional sinks (virtual camera, recorder) that read the engine's output slot on their own threads.

Opening happens on the GUI thread because it is quick and its ``SinkError`` must reach the user as a message; the
sinks then pace themselves on their own threads and report later failures through ``on_event``.
"""

from __future__ import annotations

import time
from pathlib import Path

from app.engine.events import EventCallback
from app.engine.sinks import RecorderSink, SinkError, VirtualCameraSink
from app.engine.slot import LatestSlot

_SINK_CLOSE_TIMEOUT = 0.5


def recording_path(folder: Path, now: float | None = None) -> Path:
    """``folder/greenroom-YYYYMMDD-HHMMSS.mp4`` for the local time ``now`` (default: the current time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return folder / f"greenroom-{stamp}.mp4"


class OutputSinks:
    """Start and stop the virtual camera and the recorder; ``close_all()`` releases both (idempotent)."""

    def __init__(self, on_event: EventCallback) -> None:
        self._on_event = on_event
        self.virtual_camera: VirtualCameraSink | None = None
        self.recorder: RecorderSink | None = None

    def start_virtual_camera(self, slot: LatestSlot, *, width: int, height: int, fps: float) -> str:
        """Open the virtual camera at the output size; returns its device name. Raises ``SinkError``."""
        self.stop_virtual_camera()
        sink = VirtualCameraSink(slot, width=width, height=height, fps=fps, on_event=self._on_event)
        sink.start()
        self.virtual_camera = sink
        return f"{sink.device} ({sink.backend})"

    def stop_virtual_camera(self) -> None:
        if self.virtual_camera is not None:
            self.virtual_camera.close(_SINK_CLOSE_TIMEOUT)
            self.virtual_camera = None

    def start_recording(self, slot: LatestSlot, folder: Path, *, width: int, height: int, fps: float) -> Path:
        """Record into a new time-stamped .mp4 in ``folder`` (created if needed); returns its path."""
        self.stop_recording()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SinkError(f"cannot create the recordings folder {folder}: {error.strerror}") from None
        sink = RecorderSink(slot, recording_path(folder), width=width, height=height, fps=fps, on_event=self._on_event)
        sink.start()
        self.recorder = sink
        return sink.path

    def stop_recording(self) -> Path | None:
        """Finish the file; returns its path, or None if nothing was recorded."""
        if self.recorder is None:
            return None
        sink, self.recorder = self.recorder, None
        sink.close(_SINK_CLOSE_TIMEOUT)
        return sink.path if sink.path.exists() else None

    def close_all(self) -> None:
        self.stop_virtual_camera()
        self.stop_recording()
