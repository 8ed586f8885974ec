"""Paced sinks: the virtual camera (pyvirtualcam) and the recorder, each on a thread of its own.

``PacedSink`` emits the newest output frame at a steady fps, re-sending the last one when no new frame arrived (a
video call expects a steady stream). ``VirtualCameraSink`` and ``RecorderSink`` (an mp4 through ``VideoFileWriter``)
are paced sinks. All are context managers whose ``close()`` is idempotent; opening problems raise ``SinkError`` with
a message that says what to do.
"""

from __future__ import annotations

import platform
import threading
import time
from pathlib import Path

import numpy as np

from app.engine.events import EngineEvent, EventCallback, EventKind, EventSource, ignore_event
from app.engine.fitting import contain_fit
from app.engine.mp4_writer import VideoFileWriter
from app.engine.output_paths import SinkError
from app.engine.slot import LatestSlot


def virtual_camera_help() -> str:
    """How to get a virtual camera device on this operating system."""
    system = platform.system()
    if system == "Linux":
        return (
            "install v4l2loopback (Debian/Ubuntu: sudo apt install v4l2loopback-dkms) and load it with: "
            'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="Greenroom"'
        )
    if system in ("Windows", "Darwin"):
        return "install OBS Studio (version 26.1 or newer) and start its Virtual Camera once so the device exists"
    return "no virtual camera driver is known for this operating system"


class PacedSink:
    """Base for sinks that emit the newest frame of ``slot`` every 1/fps seconds on their own thread."""

    name: EventSource  # each kind of sink names itself (events, thread names, messages)

    def __init__(self, slot: LatestSlot, *, fps: float, on_event: EventCallback = ignore_event) -> None:
        self._slot = slot
        self._period = 1.0 / fps
        self._on_event = on_event
        self._stop_requested = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"greenroom-{self.name}", daemon=True)
        self.frames_sent = 0
        self.new_frames_sent = 0
        self.failure: str | None = None  # why the sink stopped early, if it did

    def start(self) -> None:
        self._thread.start()

    def _emit(self, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._send_until_stopped()
        finally:  # released by this thread only, so never while a frame is being sent
            try:
                self._release()
            except Exception as error:  # a driver failing to close must not leave a traceback on the console
                self._on_event(EngineEvent(EventKind.ERROR, self.name, f"{self.name} did not close cleanly: {error}"))

    def _send_until_stopped(self) -> None:
        last_version = -1
        next_due = time.monotonic()
        try:
            while not self._stop_requested.is_set():
                output, version = self._slot.peek()
                if output is not None:
                    self._emit(output.rgb)
                    self.frames_sent += 1
                    if version != last_version:
                        self.new_frames_sent += 1
                        last_version = version
                next_due += self._period
                delay = next_due - time.monotonic()
                if delay < -self._period:  # fell far behind (machine stalled): re-anchor, do not burst
                    next_due = time.monotonic()
                elif delay > 0:
                    self._stop_requested.wait(delay)
        except Exception as error:  # a sink failing must not take the stream down
            self.failure = f"{self.name} stopped: {error}"
            self._on_event(EngineEvent(EventKind.ERROR, self.name, self.failure))

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread, which then releases the device or file; safe to call twice. Waits up to ``timeout``
        seconds for it (one frame takes milliseconds); a thread stuck in the driver for longer releases when it
        returns, and the wait is cut short rather than releasing the device under it."""
        self._stop_requested.set()
        if self._thread.ident is None:  # never started
            self._release()
        else:
            self._thread.join(timeout)

    def __enter__(self) -> PacedSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VirtualCameraSink(PacedSink):
    """Sends frames to a virtual camera through pyvirtualcam (v4l2loopback, OBS Virtual Camera, ...)."""

    name = EventSource.VIRTUAL_CAMERA

    def __init__(
        self,
        slot: LatestSlot,
        *,
        width: int,
        height: int,
        fps: float,
        device: str | None = None,
        backend: str | None = None,
        on_event: EventCallback = ignore_event,
    ) -> None:
        import pyvirtualcam

        super().__init__(slot, fps=fps, on_event=on_event)
        try:
            self._camera = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB, device=device, backend=backend
            )
        except Exception as error:  # pyvirtualcam raises RuntimeError listing every backend's failure
            reason = " / ".join(line.strip() for line in str(error).splitlines() if line.strip()) or "no backend"
            raise SinkError(f"no virtual camera available: {virtual_camera_help()} (details: {reason})") from None
        self.width, self.height = width, height
        self.device = self._camera.device
        self.backend = self._camera.backend
        self._released = False

    def _emit(self, rgb: np.ndarray) -> None:
        self._camera.send(np.ascontiguousarray(contain_fit(rgb, self.width, self.height)))

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._camera.close()


class RecorderSink(PacedSink):
    """Records the live output to an mp4 file at a steady fps."""

    name = EventSource.RECORDER

    def __init__(
        self,
        slot: LatestSlot,
        path: Path,
        *,
        width: int,
        height: int,
        fps: float,
        on_event: EventCallback = ignore_event,
    ) -> None:
        super().__init__(slot, fps=fps, on_event=on_event)
        self._writer = VideoFileWriter(path, width=width, height=height, fps=fps, crash_safe=True)
        self.path = path

    def _emit(self, rgb: np.ndarray) -> None:
        self._writer.write(rgb)

    def _release(self) -> None:
        self._writer.close()
