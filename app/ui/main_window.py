"""The main window: lays out the panels and connects them to the stream session. It does no per-frame work.

    +-------------------------------------------+----------------+
    | banners                                   | Source         |
    | preview (newest frame, aspect kept)       | Adjust         |
    |                                           | Output         |
    | background gallery (thumbnails)           |                |
    +-------------------------------------------+----------------+
    | status bar: quality, fps, latency, dropped frames          |
    +------------------------------------------------------------+

A GUI-thread timer peeks at the engine's output slot and repaints only when a new frame arrived; capture and
rendering run on the engine's threads. Closing the window stops everything cooperatively.
"""

from __future__ import annotations

import dataclasses
import time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QMoveEvent, QResizeEvent
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from app.engine.events import EngineEvent, EventKind, EventSource
from app.engine.room_store import RoomStore
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings, SourceSpec
from app.ui import banner
from app.ui.actions import create_actions, shortcuts_table
from app.ui.autosave import AutoSave
from app.ui.banner import BannerArea
from app.ui.bridge import BackgroundCall, EngineBridge
from app.ui.controls import ControlsPanel
from app.ui.gallery import BackgroundGallery
from app.ui.missing_files import gallery_files_missing, picked_file_missing, saved_background_missing
from app.ui.output_control import OutputControl
from app.ui.output_panel import OutputPanel
from app.ui.persistence import SettingsStore
from app.ui.preview import PreviewWidget
from app.ui.room_calibration import RoomCalibration
from app.ui.room_panel import CountdownOverlay, RoomPanel
from app.ui.services import Services
from app.ui.session import StreamSession
from app.ui.source_panel import SourcePanel
from app.ui.status import StreamStatusBar
from app.ui.style import SIDE_PANEL_WIDTH, STYLE_SHEET
from app.ui.thumbnails import first_video_frame
from app.ui.window_placement import place_window
from segmentation import BackendInfo, Device

TITLE = "Greenroom"
PREVIEW_INTERVAL_MS = 15
STATUS_INTERVAL_MS = 500
CLOSE_TIMEOUT_S = 1.5


class MainWindow(QMainWindow):
    """``MainWindow(store, source)`` starts streaming ``source`` as soon as the model has loaded."""

    def __init__(
        self,
        store: SettingsStore,
        source: SourceSpec,
        *,
        services: Services | None = None,
        notice: str = "",
    ) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setStyleSheet(STYLE_SHEET)
        self._store = store
        self._services = services or Services()
        self._settings: RenderSettings = store.render_settings()
        self._device = store.device()
        self.bridge = EngineBridge(self)
        self.bridge.event_received.connect(self._on_event)
        self.session = StreamSession(self._services.load_segmenter, self.bridge, self._effective_settings, self)
        self.autosave = AutoSave(self.save_settings, parent=self)
        self._build(source)
        self.outputs = OutputControl(
            self.output_panel,
            self.session,
            self.banners,
            on_event=self.bridge.post,
            recordings_folder=self._services.recordings_folder,
            target_fps=lambda: self._settings.target_fps,
        )
        self.room = RoomCalibration(
            self.room_panel, self.countdown, self.session, RoomStore(store.rooms_folder()), self._use_room_plate, self
        )
        self.window_actions = create_actions(self)
        self.shortcut_hint.setText(shortcuts_table(self.window_actions))
        self._connect()
        self._restore()
        if notice:
            self.banners.show_message(EventKind.INFO, "startup", notice, seconds=0)
        self._preview_timer = QTimer(self)
        self._preview_timer.timeout.connect(self._show_newest_frame)
        self._preview_timer.start(PREVIEW_INTERVAL_MS)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._refresh_status)
        self._status_timer.start(STATUS_INTERVAL_MS)
        self._last_version = -1
        self._cuda_probe = BackgroundCall(self._services.cuda_available, name="probe-cuda", parent=self)
        self._cuda_probe.succeeded.connect(self.controls.set_cuda_available)
        self._cuda_probe.start()
        self.preview.set_placeholder("Loading the segmentation model\N{HORIZONTAL ELLIPSIS}")
        self.session.start(source, self._device)

    # --- layout -------------------------------------------------------------------------------------------------
    def _build(self, source: SourceSpec) -> None:
        self.banners = BannerArea()
        self.preview = PreviewWidget()
        self.gallery = BackgroundGallery(
            self._services.bundled_backgrounds(),
            pick_files=self._services.pick_background_files,
            pick_color=self._services.pick_color,
            blur_sample=first_video_frame(self._services.demo_clip()),
        )
        self.gallery.add_files(self._store.user_backgrounds())
        self._missing_backgrounds = self._store.missing_user_backgrounds()  # kept in the settings for their return
        self.source_panel = SourcePanel(
            list_cameras=self._services.list_cameras,
            demo_clip=self._services.demo_clip(),
            pick_video=self._services.pick_video,
        )
        self.source_panel.show_source(source)
        self.controls = ControlsPanel()
        self.controls.set_cuda_available(False)
        self.output_panel = OutputPanel()
        self.room_panel = RoomPanel()
        self.countdown = CountdownOverlay(self.preview)

        left_column = QWidget()
        left = QVBoxLayout(left_column)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.banners)
        left.addWidget(self.preview, 1)
        gallery_group = _group("Background", self.gallery)
        left.addWidget(gallery_group)
        # Room for the tallest banner area too, so that banners appearing never squeeze the preview or the gallery.
        reserved = banner.MAX_HEIGHT + self.preview.minimumHeight() + gallery_group.minimumSizeHint().height()
        left_column.setMinimumHeight(reserved + 2 * left.spacing())
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 4, 0)
        side_layout.addWidget(_group("Source", self.source_panel))
        side_layout.addWidget(_group("Adjust", self.controls))
        side_layout.addWidget(_group("Room", self.room_panel))
        side_layout.addWidget(_group("Output", self.output_panel))
        self.shortcut_hint = QLabel()
        self.shortcut_hint.setObjectName("hint")
        side_layout.addWidget(_group("Keyboard", self.shortcut_hint))
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFixedWidth(SIDE_PANEL_WIDTH)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        central = QWidget()
        columns = QHBoxLayout(central)
        columns.setContentsMargins(10, 10, 10, 6)
        columns.setSpacing(10)
        columns.addWidget(left_column, 1)
        columns.addWidget(scroll)
        self.setCentralWidget(central)
        self.status = StreamStatusBar()
        self.setStatusBar(self.status)

    def _connect(self) -> None:
        self.session.backend_ready.connect(self._on_backend_ready)
        self.session.model_failed.connect(self._on_model_failed)
        self.gallery.background_chosen.connect(self._on_background_chosen)
        self.gallery.background_missing.connect(self._on_background_missing)
        self.gallery.files_rejected.connect(lambda text: self.banners.show_message(EventKind.WARNING, "gallery", text))
        self.controls.changed.connect(self._push_settings)
        self.controls.device_requested.connect(self._on_device_requested)
        self.source_panel.source_chosen.connect(self._on_source_chosen)
        self.source_panel.video_rejected.connect(partial(self.banners.show_message, EventKind.WARNING, "source"))
        self.output_panel.folder_requested.connect(self._services.open_folder)
        self.window_actions.add_background.triggered.connect(self.gallery.ask_for_files)
        self.window_actions.next_background.triggered.connect(lambda: self.gallery.step(1))
        self.window_actions.previous_background.triggered.connect(lambda: self.gallery.step(-1))
        self.window_actions.remove_background.triggered.connect(self._remove_background)
        self.window_actions.mirror.triggered.connect(self.controls.mirror.toggle)
        self.window_actions.only_me.triggered.connect(self.controls.only_me.toggle)
        self.window_actions.mask_view.triggered.connect(self.controls.mask_view.toggle)
        self.window_actions.virtual_camera.triggered.connect(self.output_panel.virtual_camera.toggle)
        self.window_actions.record.triggered.connect(self.output_panel.record.toggle)
        self.window_actions.quit.triggered.connect(self._request_quit)
        self._connect_autosave()

    def _connect_autosave(self) -> None:
        """Every change the settings keep is written shortly after it is made, not only on a clean quit."""
        for signal in (
            self.controls.changed,
            self.controls.device_requested,
            self.gallery.background_chosen,
            self.gallery.list_widget().model().rowsInserted,
            self.gallery.list_widget().model().rowsRemoved,
            self.source_panel.source_chosen,
        ):
            signal.connect(self._schedule_save)

    def _schedule_save(self, *_args: object) -> None:
        if not self._store.read_only:  # another window saves the settings (see SettingsStore.claim)
            self.autosave.schedule()

    def _restore(self) -> None:
        self.controls.load_from(self._settings)
        self.controls.mask_view.blockSignals(True)
        self.controls.mask_view.setChecked(self._store.mask_view())
        self.controls.mask_view.blockSignals(False)
        if self._device != Device.AUTO:
            self.controls.show_device(self._device)
        picked = self._store.custom_color()
        if picked is not None:
            self.gallery.set_custom_color(picked)
        self.gallery.set_blur_strength(self._store.blur_strength())
        saved = self._settings.background
        if not self.gallery.select(saved):
            self.gallery.select_blur()  # at the saved strength: the default would overwrite it at the next save
        self._settings = dataclasses.replace(self._settings, background=self.gallery.current())
        if saved.path is not None and not saved.path.is_file():  # until the user picks a background
            warning = saved_background_missing(saved.path, self.gallery.current())
            self.banners.show_message(EventKind.WARNING, "saved-background", warning, seconds=0)
        others = [path for path in self._missing_backgrounds if path != saved.path]  # the saved one is named above
        if others:
            self.banners.show_message(EventKind.WARNING, "gallery-missing", gallery_files_missing(others), seconds=0)
        place_window(self, self._store.geometry())

    # --- settings -----------------------------------------------------------------------------------------------
    @property
    def render_settings(self) -> RenderSettings:
        """The chosen settings (the gallery's background even while the mask view is on)."""
        return self._settings

    def _effective_settings(self) -> RenderSettings:
        """What the engine gets: the mask view replaces the background with the mask itself."""
        if self.controls.mask_view.isChecked():
            return dataclasses.replace(self._settings, background=BackgroundSpec(kind=BackgroundKind.NONE))
        return self._settings

    def _push_settings(self) -> None:
        self._settings = self.controls.apply_to(self._settings)
        self.session.apply_settings()

    def _use_room_plate(self, path: Path | None) -> None:
        """The room picture learned for this source and size (None: none): the engine uses it from the next frame."""
        self._settings = dataclasses.replace(self._settings, room_plate=path)
        self.session.apply_settings()

    def _on_background_chosen(self, spec: BackgroundSpec) -> None:
        """The user picked a background: a warning that a picked or the saved background was not found, and so that
        the blur is in use, has done its job."""
        self._settings = dataclasses.replace(self._settings, background=spec)
        self.session.apply_settings()
        self.status.showMessage(f"Background: {spec.describe()}", 3000)
        self.banners.dismiss("saved-background")
        self.banners.dismiss("picked-missing")

    def _on_background_missing(self, path: Path) -> None:
        """The picked file has gone: the gallery has chosen the blur instead (``_on_background_chosen`` came first)."""
        self.banners.show_message(
            EventKind.WARNING, "picked-missing", picked_file_missing(path, self.gallery.current())
        )

    def _remove_background(self) -> None:
        """Delete: take the selected background out of the gallery, if it is one of the user's own."""
        if not self.gallery.remove_current():
            self.status.showMessage("Only your own pictures and videos can be removed from the gallery", 4000)

    def _on_source_chosen(self, spec: SourceSpec) -> None:
        self.status.count_dropped_from(self.session.snapshot())
        self.session.set_source(spec)
        self.banners.dismiss("startup")
        self.banners.dismiss(EventSource.CAPTURE)  # the old source's problem; the new one reports its own
        self.status.showMessage(f"Switching to {spec.describe()}\N{HORIZONTAL ELLIPSIS}", 3000)

    def _on_device_requested(self, device: str) -> None:
        self._device = device
        info = self.session.backend
        if info is not None and info.device.startswith(device):
            return
        self.controls.show_backend(None, f"switching to {device}\N{HORIZONTAL ELLIPSIS}")
        self.session.set_device(device)

    # --- engine feedback ----------------------------------------------------------------------------------------
    def _on_event(self, event: EngineEvent) -> None:
        """Engine and sink events, delivered on the GUI thread: problems become banners, never dialogs."""
        if event.kind in (EventKind.ERROR, EventKind.WARNING):
            self.banners.show_message(event.kind, event.source, event.message)
            if event.kind is EventKind.ERROR and event.source == EventSource.CAPTURE:
                self._show_no_signal(event.message)
            self.outputs.handle_failure(event)
        elif event.kind is EventKind.RECOVERED:
            self.banners.recovered(event.source, event.message)
            if event.source == EventSource.MODEL:  # the engine now runs another segmenter (the CPU after a GPU failure)
                self.controls.show_backend(self.session.backend)
        elif event.source != EventSource.RENDER:  # the render thread's quality changes have their own status label
            self.status.showMessage(event.message, 5000)
            self.source_panel.show_description(self.session.source_description)

    def _show_no_signal(self, reason: str) -> None:
        """The source delivers nothing (it failed and is being retried): say so instead of freezing on a stale frame."""
        source = self.session.source
        name = "the source" if source is None else source.label()
        self.preview.show_no_signal(f"No picture from {name}\n\n{reason}", since=time.monotonic())
        self.status.show_snapshot(None)

    def _on_backend_ready(self, info: BackendInfo) -> None:
        self.controls.show_backend(info)
        if self.preview.image is None and not self.preview.signal_lost:  # first load; a device switch keeps the picture
            self.preview.set_placeholder("Waiting for the first frame\N{HORIZONTAL ELLIPSIS}")

    def _on_model_failed(self, message: str) -> None:
        self.preview.set_placeholder(f"No preview: the segmentation model could not be loaded.\n\n{message}")
        self.controls.show_backend(None, "in use: nothing (the model could not be loaded)")
        self.banners.show_message(
            EventKind.ERROR, EventSource.MODEL, f"the segmentation model cannot be loaded: {message}", seconds=0
        )

    def _show_newest_frame(self) -> None:
        frame, version = self.session.latest_frame()
        if frame is not None and version != self._last_version:
            self._last_version = version
            self.preview.show_frame(frame.rgb, frame.captured_at)

    def _refresh_status(self) -> None:
        snapshot = self.session.snapshot()
        self.status.show_snapshot(None if self.preview.signal_lost else snapshot)
        if snapshot is not None and snapshot.only_me:
            self.controls.show_lock_state(snapshot.only_me)
        frame, _ = self.session.latest_frame()
        if frame is not None and not self.preview.signal_lost:
            self.room.follow(self.session.source, (frame.rgb.shape[1], frame.rgb.shape[0]))
        self.room.show_state(snapshot.room if snapshot is not None else "")
        self.outputs.refresh_recording_time()
        if self.session.streaming:
            self.source_panel.show_description(self.session.source_description)
            info = self.session.backend
            if info is not None and not self.session.loading:
                self.controls.show_backend(info)

    # --- shutdown -----------------------------------------------------------------------------------------------
    def save_settings(self) -> None:
        if self._store.read_only:  # another window saves the settings (see SettingsStore.claim)
            return
        self._store.save_render_settings(self._settings)
        self._store.save_mask_view(self.controls.mask_view.isChecked())
        self._store.save_custom_color(self.gallery.custom_color())
        self._store.save_blur_strength(self.gallery.blur_strength())
        self._store.save_source(self.source_panel.current_spec())
        self._store.save_device(self._device)
        present = self.gallery.user_files()
        self._store.save_user_backgrounds(present + [path for path in self._missing_backgrounds if path not in present])
        self._store.save_geometry(self.saveGeometry())
        self._store.sync()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._schedule_save()

    def moveEvent(self, event: QMoveEvent) -> None:  # noqa: N802 (Qt override)
        super().moveEvent(event)
        self._schedule_save()

    def _request_quit(self) -> None:
        """Quit from the menu or Ctrl+Q, asking first while a recording runs. A stop signal or the window's close
        button closes at once; either way the recording is finished and kept."""
        question = "A recording is running. Stop it, keep the file and quit?"
        if not self.outputs.recording or self._services.confirm(self, "Quit Greenroom", question):
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Save, stop the timers, release the sinks, then stop the engine threads (joined, within the timeout)."""
        self.autosave.cancel()
        self.save_settings()
        self._preview_timer.stop()
        self._status_timer.stop()
        self._cuda_probe.cancel()
        self.room.cancel()
        self.outputs.close_all()
        self.session.stop(timeout=CLOSE_TIMEOUT_S)
        event.accept()


def _group(title: str, content: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.addWidget(content)
    return box
