"""Turns the Output panel's switches into open or closed sinks, and sink failures back into the panel's state.

The window hands over its output panel, banners and stream session; this controller owns the ``OutputSinks``.
A switch that cannot be turned on falls back to off and says why: no picture yet, no virtual camera device (with
a link to how to get one), a recordings folder that cannot be written. The virtual camera says so only beside its
switch, which the user has just clicked. A sink that fails later (its thread reports an ``ERROR`` event, which the
window also shows as a banner) is closed and its switch goes off with the reason; a recording keeps what was written.
While recording, the panel counts the time (``refresh_recording_time``, called by the window's status timer).

The panel is narrow: its lines name the file, never its folder, and leave the whole story (full paths, the system's
own error) to their tooltip and the banner.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from app.engine.events import EngineEvent, EventCallback, EventKind, EventSource
from app.engine.mp4_writer import disk_is_full
from app.engine.output_paths import SinkError
from app.engine.outputs import OutputSinks
from app.engine.sinks import virtual_camera_help
from app.engine.slot import LatestSlot
from app.ui.banner import BannerArea
from app.ui.output_panel import OutputPanel
from app.ui.session import StreamSession


def duration_text(seconds: float) -> str:
    """``0:42``, ``12:05`` or ``1:02:03`` for a duration in seconds (whole seconds, rounded down)."""
    minutes, whole_seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{whole_seconds:02d}" if hours else f"{minutes}:{whole_seconds:02d}"


def recording_stopped_text(*, disk_full: bool, kept: Path | None, elapsed: str) -> str:
    """The panel's line for a recording a failure stopped, for example ``Stopped: the disk is full. Kept 0:42 in
    NAME`` (two lines at the side panel's width: the file's name, which does not wrap, comes last)."""
    reason = "the disk is full" if disk_full else "writing failed"
    outcome = f"Kept {elapsed} in {kept.name}" if kept is not None else "Nothing was recorded"
    return f"Stopped: {reason}. {outcome}"


class OutputControl:
    """``OutputControl(panel, session, banners, ...)`` connects ``panel``'s switches; ``close_all()`` on quit."""

    def __init__(
        self,
        panel: OutputPanel,
        session: StreamSession,
        banners: BannerArea,
        *,
        on_event: EventCallback,
        recordings_folder: Callable[[], Path],
        target_fps: Callable[[], float],
    ) -> None:
        self.panel = panel
        self.sinks = OutputSinks(on_event)
        self._session = session
        self._banners = banners
        self._recordings_folder = recordings_folder
        self._target_fps = target_fps
        self._recording_since = 0.0  # time.monotonic() when the running recording started
        panel.virtual_camera_toggled.connect(self.set_virtual_camera)
        panel.recording_toggled.connect(self.set_recording)

    @property
    def recording(self) -> bool:
        return self.sinks.recorder is not None

    def _output(self) -> tuple[LatestSlot, int, int] | None:
        """The engine's output slot and the width and height of its newest frame, or None before the first frame."""
        frame, _ = self._session.latest_frame()
        slot = self._session.output
        return None if frame is None or slot is None else (slot, frame.rgb.shape[1], frame.rgb.shape[0])

    def set_virtual_camera(self, on: bool) -> None:
        if not on:
            self.sinks.stop_virtual_camera()
            self.panel.show_virtual_camera(False, "Off")
            return
        output = self._output()
        if output is None:
            self.panel.show_virtual_camera(False, "Off: no picture yet; try again when the preview runs")
            return
        slot, width, height = output
        try:
            device = self.sinks.start_virtual_camera(slot, width=width, height=height, fps=self._target_fps())
        except SinkError as error:
            self.panel.show_virtual_camera_setup(
                "No driver found.",
                f"No virtual camera device was found.\n\nTo get one, {virtual_camera_help()}.\n\n"
                "Then turn Virtual camera on again.",
                detail=str(error),
            )  # the user just clicked the switch: its state line says it, without a banner repeating it
            return
        self.panel.show_virtual_camera(True, f"On: {device}, {width}x{height}")
        self._banners.dismiss(EventSource.VIRTUAL_CAMERA)

    def set_recording(self, on: bool) -> None:
        if not on:
            path = self.sinks.stop_recording()
            if path is None:
                self.panel.show_recording(False, "Not recording")
            else:
                self.panel.show_saved(path)
            return
        output = self._output()
        if output is None:
            self.panel.show_recording(False, "Not recording: no picture yet")
            return
        slot, width, height = output
        try:
            self.sinks.start_recording(
                slot, self._recordings_folder(), width=width, height=height, fps=self._target_fps()
            )
        except SinkError as error:
            self.panel.show_recording(False, f"Cannot record: {error}")
            self._banners.show_message(EventKind.ERROR, EventSource.RECORDER, str(error))
            return
        self._recording_since = time.monotonic()
        self.refresh_recording_time()

    def refresh_recording_time(self) -> None:
        """Show the running recording's elapsed time and file, for example ``Recording 0:42 — NAME`` (one or two lines
        at the side panel's width; the full path in the tooltip); nothing while not recording."""
        if self.sinks.recorder is None:
            return
        path = self.sinks.recorder.path
        self.panel.show_recording(True, f"Recording {self._elapsed()} \N{EM DASH} {path.name}", detail=str(path))

    def _elapsed(self) -> str:
        return duration_text(time.monotonic() - self._recording_since)

    def handle_failure(self, event: EngineEvent) -> None:
        """A sink's thread reported ``event``: close that sink and turn its switch off with the reason."""
        if event.kind is not EventKind.ERROR:
            return
        if event.source == EventSource.VIRTUAL_CAMERA:
            self.sinks.stop_virtual_camera()
            # One short line beside the switch; the whole message is its tooltip (and the window's banner).
            self.panel.show_virtual_camera(False, "Stopped: the virtual camera failed", detail=event.message)
        elif (
            event.source == EventSource.RECORDER and self.sinks.recorder is None
        ):  # a recording that ended could not be closed
            self.panel.show_recording(False, "Stopped: the recording could not be finished", detail=event.message)
        elif event.source == EventSource.RECORDER:
            elapsed, disk_full = self._elapsed(), disk_is_full(self.sinks.recorder.path)
            path = self.sinks.stop_recording()
            detail = event.message if path is None else f"{event.message}\n\nKept {path}"
            text = recording_stopped_text(disk_full=disk_full, kept=path, elapsed=elapsed)
            self.panel.show_recording(False, text, detail=detail)

    def close_all(self) -> None:
        """Finish the recording and release the virtual camera (idempotent)."""
        self.sinks.close_all()
