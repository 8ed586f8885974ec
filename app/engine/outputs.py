"""Owns the optional sinks (virtual camera, recorder) that read the engine's output slot on their own threads; the
window and ``greenroom stream`` both use it.

Opening happens on the caller's thread because it is quick and its ``SinkError`` must reach the user as a message; the
sinks then pace themselves on their own threads and report later failures through ``on_event``.
"""

from __future__ import annotations

import time
from pathlib import Path

from app.engine.events import EventCallback
from app.engine.output_paths import SinkError
from app.engine.sinks import RecorderSink, VirtualCameraSink
from app.engine.slot import LatestSlot

# A sink ends within one frame period (33 ms at 30 fps); a longer wait happens only when the disk or the driver stalls,
# and then finishing the recording matters more than a button that answers at once.
_SINK_CLOSE_TIMEOUT = 5.0


def recording_path(folder: Path, now: float | None = None) -> Path:
    """A new ``folder/greenroom-YYYYMMDD-HHMMSS.mp4`` for the local time ``now`` (default: the current time), with
    ``-2``, ``-3``, ... added when that name is taken.

    The name is claimed by creating the file exclusively, so two recordings started in the same second, in one
    window or in two, never get the same file. Raises ``SinkError`` if the folder cannot be written.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for attempt in range(1, 1000):
        candidate = folder / (f"greenroom-{stamp}.mp4" if attempt == 1 else f"greenroom-{stamp}-{attempt}.mp4")
        try:
            candidate.open("x").close()
        except FileExistsError:
            continue
        except OSError as error:
            raise SinkError(f"cannot write in the recordings folder {folder}: {error.strerror}") from None
        return candidate
    raise SinkError(f"cannot find a free recording name in {folder}; move some recordings away")


class OutputSinks:
    """Start and stop the virtual camera and the recorder; ``close_all()`` releases both (idempotent)."""

    def __init__(self, on_event: EventCallback) -> None:
        self._on_event = on_event
        self.virtual_camera: VirtualCameraSink | None = None
        self.recorder: RecorderSink | None = None

    def start_virtual_camera(
        self, slot: LatestSlot, *, width: int, height: int, fps: float, device: str | None = None
    ) -> str:
        """Open the virtual camera (``device``, or the first one found) at the output size; returns "DEVICE
        (BACKEND)". Raises ``SinkError``."""
        self.stop_virtual_camera()
        sink = VirtualCameraSink(slot, width=width, height=height, fps=fps, device=device, on_event=self._on_event)
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
        path = recording_path(folder)
        try:
            return self.start_recording_to(slot, path, width=width, height=height, fps=fps)
        except SinkError:
            path.unlink(missing_ok=True)  # the name was claimed with an empty file
            raise

    def start_recording_to(self, slot: LatestSlot, path: Path, *, width: int, height: int, fps: float) -> Path:
        """Record into ``path`` (an .mp4 the user named); returns it. Raises ``SinkError``."""
        self.stop_recording()
        sink = RecorderSink(slot, path, width=width, height=height, fps=fps, on_event=self._on_event)
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
