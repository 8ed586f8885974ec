"""``run_gui``: what ``greenroom`` (no sub-command) runs: pick the source, open the window, run the event loop."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.engine.cameras import CameraInfo
from app.engine.paths import PathKind, UnusablePathError, path_kind
from app.engine.settings import SourceKind, SourceSpec, parse_source_spec
from app.engine.sources import SourceError, open_source
from app.stop_signals import on_stop_signals
from app.ui.main_window import MainWindow
from app.ui.persistence import APPLICATION, ORGANIZATION, SettingsStore
from app.ui.services import Services
from app.ui.style import apply_theme

EXIT_USAGE = 2
NO_DISPLAY_MESSAGE = "no display found: run under a desktop session, or use `greenroom stream` headless"
NO_CAMERA_NOTICE = "No camera found \N{EM DASH} showing the demo clip. Plug in a camera, then pick it under Source."


SECOND_WINDOW_NOTICE = (
    "Another Greenroom window is open and keeps the settings: changes made in this window are not saved."
)


def missing_display(environ: dict[str, str] | None = None, platform: str = sys.platform) -> bool:
    """True on Linux/BSD when neither X11 nor Wayland is reachable and no Qt platform plugin is forced."""
    environ = os.environ if environ is None else environ
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    return not any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _listed(spec: SourceSpec, cameras: list[CameraInfo]) -> bool:
    return any(spec.camera in (camera.index, camera.path) for camera in cameras)


def _exists(path: Path) -> bool:
    """True if ``path`` names something (a saved path may be anything, even a name the file system refuses)."""
    try:
        return path_kind(path) is not PathKind.MISSING
    except UnusablePathError:
        return False


def choose_source(
    source_text: str | None, saved: SourceSpec | None, cameras: list[CameraInfo], demo: Path
) -> tuple[SourceSpec, str]:
    """The source to open first and a notice for the user ("" when there is nothing to say).

    ``--source`` wins; then the last video file the user picked, if it is still there and opens (one that no longer
    does is named in the notice); then the last camera if it is connected; then the first camera found; else the
    demo clip.
    """
    if source_text is not None:
        return parse_source_spec(source_text), ""
    if saved is not None and saved.kind is SourceKind.VIDEO and saved.path not in (None, demo) and _exists(saved.path):
        try:
            open_source(saved).close()
        except SourceError as error:  # damaged since: fall back instead of failing at every start
            fallback, _ = choose_source(None, None, cameras, demo)
            return fallback, f"The last video could not be opened ({error}); showing {fallback.describe()}."
        return saved, ""
    saved_camera = saved if saved is not None and saved.kind is SourceKind.CAMERA else None
    if saved_camera is not None and _listed(saved_camera, cameras):
        return saved_camera, ""
    if cameras:
        first = SourceSpec(kind=SourceKind.CAMERA, camera=cameras[0].index)
        if saved_camera is None:
            return first, ""
        first = SourceSpec(
            kind=SourceKind.CAMERA,
            camera=cameras[0].index,
            width=saved_camera.width,
            height=saved_camera.height,
            fps=saved_camera.fps,
        )
        return first, f"The last camera ({saved_camera.camera}) is not connected; showing {cameras[0].name}."
    return SourceSpec(kind=SourceKind.VIDEO, path=demo), NO_CAMERA_NOTICE


def run_gui(source_text: str | None) -> int:
    """Open the Greenroom window on ``source_text`` (camera index, device path, video file or None) until closed.

    Returns the exit code: 0 after a normal close, 2 when there is no display or the given video file cannot be
    used (missing, a folder, a still image, damaged).
    """
    if missing_display():
        print(f"greenroom: {NO_DISPLAY_MESSAGE}", file=sys.stderr)
        return EXIT_USAGE
    services = Services()
    if source_text is not None:
        spec = parse_source_spec(source_text)
        if spec.kind is SourceKind.VIDEO:
            try:
                open_source(spec).close()  # the same one-line messages as `greenroom stream`
            except SourceError as error:
                print(f"greenroom: {error}", file=sys.stderr)
                return EXIT_USAGE
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    apply_theme(app)
    store = SettingsStore()
    second_window = not store.claim()
    source, notice = choose_source(source_text, store.last_source(), services.list_cameras(), services.demo_clip())
    if second_window:
        notice = " ".join(filter(None, [notice, SECOND_WINDOW_NOTICE]))
    window = MainWindow(store, source, services=services, notice=notice)
    window.show()
    # Ctrl+C, `kill` and a closed terminal close the window the normal way (settings saved, recording finalised);
    # the timer lets Python run its signal handlers while Qt's event loop runs.
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        with on_stop_signals(window.close):
            return app.exec()
    finally:
        wake.stop()
