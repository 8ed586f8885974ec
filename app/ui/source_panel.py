"""The camera picker: cameras by name, the demo clip, a test pattern or a video file, with size and frame rate.

Choosing an entry emits ``source_chosen(SourceSpec)``; the window passes it to ``Engine.set_source``, which swaps
the capture thread while the render thread and the sinks keep running. The line under the picker says what the
open source really delivers (a camera may not honour the requested size).

A video file picked with "Video file..." is opened and its first frame decoded off the GUI thread before anything
switches: one that cannot play (damaged, cut short, not a video) leaves the current source and the list as they
were and emits ``video_rejected(message)`` instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QToolButton, QWidget

from app.engine.cameras import CameraInfo
from app.engine.settings import SourceKind, SourceSpec
from app.engine.sources import open_source
from app.ui.bridge import BackgroundCall
from app.ui.wheel_safe import WheelSafeComboBox
from app.ui.wrapping_label import WrappingLabel

SIZES = ((640, 480), (1280, 720), (1920, 1080))
FRAME_RATES = (15.0, 24.0, 30.0, 60.0)
_PICK_FILE = "pick-file"

VideoPicker = Callable[[QWidget], "Path | None"]


def same_source(first: SourceSpec, second: SourceSpec) -> bool:
    """True when both name the same device or file (requested size and rate aside)."""
    return (first.kind, first.camera, first.path) == (second.kind, second.camera, second.path)


class _RefreshingCombo(WheelSafeComboBox):
    """Re-lists the cameras each time the list opens, so a camera plugged in meanwhile shows up."""

    about_to_open = Signal()

    def showPopup(self) -> None:  # noqa: N802 (Qt override)
        self.about_to_open.emit()
        super().showPopup()


class SourcePanel(QWidget):
    """Picker for the video source; ``current_spec()`` includes the requested camera size and frame rate."""

    source_chosen = Signal(object)  # SourceSpec
    video_rejected = Signal(str)  # user-facing message: a picked video file cannot be shown

    def __init__(
        self,
        *,
        list_cameras: Callable[[], list[CameraInfo]],
        demo_clip: Path,
        pick_video: VideoPicker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._list_cameras, self._demo_clip, self._pick_video = list_cameras, demo_clip, pick_video
        self._selected = SourceSpec(kind=SourceKind.VIDEO, path=demo_clip)
        self._videos: list[SourceSpec] = []  # the user's video files shown since start-up, kept in the list
        self._video_check: BackgroundCall | None = None
        self.combo = _RefreshingCombo()
        # Sized by a few characters, not by its longest entry: a long file name is cut short in the box, not allowed
        # to push the side panel wider than the window.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.setToolTip("Camera or video to show; switching keeps the stream running")
        self.combo.about_to_open.connect(self.refresh)
        self.combo.activated.connect(self._on_activated)
        rescan = QToolButton()
        rescan.setText("\N{CLOCKWISE OPEN CIRCLE ARROW}")
        rescan.setToolTip("Look for cameras again")
        rescan.clicked.connect(self.refresh)
        self.size = WheelSafeComboBox()
        for width, height in SIZES:
            self.size.addItem(f"{width} \N{MULTIPLICATION SIGN} {height}", (width, height))
        self.size.setCurrentIndex(1)
        self.fps = WheelSafeComboBox()
        for rate in FRAME_RATES:
            self.fps.addItem(f"{rate:g} fps", rate)
        self.fps.setCurrentIndex(FRAME_RATES.index(30.0))
        for combo in (self.size, self.fps):
            combo.setToolTip("What to ask of the camera (it may deliver something else: see the line below)")
            combo.activated.connect(self._on_format_changed)
        self.description = WrappingLabel()  # a long file name wraps instead of widening the side panel
        self.description.setObjectName("hint")

        picker = QHBoxLayout()
        picker.addWidget(self.combo, 1)
        picker.addWidget(rescan)
        request = QHBoxLayout()
        request.addWidget(self.size, 1)
        request.addWidget(self.fps)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Source", picker)
        form.addRow("Format", request)
        form.addRow("", self.description)
        self._form = form
        self.refresh()

    # --- entries ------------------------------------------------------------------------------------------------
    def refresh(self) -> list[CameraInfo]:
        """Rebuild the list from the cameras found now; the current choice stays selected."""
        cameras = self._list_cameras()
        self.combo.blockSignals(True)
        self.combo.clear()
        for camera in cameras:
            self.combo.addItem(
                f"{camera.name} ({camera.index})", SourceSpec(kind=SourceKind.CAMERA, camera=camera.index)
            )
            self.combo.setItemData(self.combo.count() - 1, camera.path or camera.name, Qt.ItemDataRole.ToolTipRole)
        if not cameras:
            self.combo.addItem("No camera found", None)
            self.combo.model().item(0).setEnabled(False)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem("Demo clip", SourceSpec(kind=SourceKind.VIDEO, path=self._demo_clip))
        self.combo.addItem("Test pattern", SourceSpec(kind=SourceKind.TEST_PATTERN))
        for video in self._videos:
            self.combo.addItem(video.label(), video)
            self.combo.setItemData(self.combo.count() - 1, str(video.path), Qt.ItemDataRole.ToolTipRole)
        self.combo.addItem("Video file\N{HORIZONTAL ELLIPSIS}", _PICK_FILE)
        self.combo.blockSignals(False)
        self._show_selected()
        return cameras

    def _index_of(self, spec: SourceSpec) -> int:
        for index in range(self.combo.count()):
            data = self.combo.itemData(index)
            if isinstance(data, SourceSpec) and same_source(data, spec):
                return index
        return -1

    def _show_selected(self) -> None:
        spec = self._selected
        is_users_video = spec.kind is SourceKind.VIDEO and spec.path != self._demo_clip
        if is_users_video and not any(same_source(spec, video) for video in self._videos):
            self._videos.append(spec)  # stays in the list when another source is picked
        index = self._index_of(spec)
        if index < 0:  # a camera that is not listed (unplugged, or a device path) or a user's video file
            index = self.combo.count() - 1
            self.combo.insertItem(index, spec.label(), spec)
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        # Only a camera can be asked for a format; a video plays at its own size and rate (the line below says which).
        self._form.setRowVisible(1, spec.kind is SourceKind.CAMERA)

    # --- state --------------------------------------------------------------------------------------------------
    def current_spec(self) -> SourceSpec:
        spec = self._selected
        if spec.kind is not SourceKind.CAMERA:
            return spec
        width, height = self.size.currentData()
        return dataclasses.replace(spec, width=width, height=height, fps=self.fps.currentData())

    def show_source(self, spec: SourceSpec) -> None:
        """Select ``spec`` (adding an entry if needed) without emitting ``source_chosen``; a video file still being
        checked is forgotten."""
        self._forget_video_check()
        self._selected = dataclasses.replace(spec, width=1280, height=720, fps=30.0)
        if spec.kind is SourceKind.CAMERA:
            self._select_data(self.size, (spec.width, spec.height))
            self._select_data(self.fps, spec.fps)
        self._show_selected()

    def choose(self, spec: SourceSpec) -> None:
        """Select ``spec`` and emit ``source_chosen`` (what a user's pick does)."""
        self.show_source(spec)
        self.source_chosen.emit(self.current_spec())

    def show_description(self, text: str) -> None:
        """What the open source delivers, for example ``camera 0 (1280x720 @ 30 fps)``."""
        self.description.set_full_text(f"Now: {text}" if text else "")

    @staticmethod
    def _select_data(combo: QComboBox, value: object) -> None:
        for index in range(combo.count()):
            if combo.itemData(index) == value:
                combo.setCurrentIndex(index)
                return

    # --- user actions -------------------------------------------------------------------------------------------
    def _on_activated(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == _PICK_FILE:
            self._show_selected()  # the current source stays until the picked file is known to play
            path = self._pick_video(self)
            if path is not None:
                self._check_then_choose(SourceSpec(kind=SourceKind.VIDEO, path=path))
            return
        if isinstance(data, SourceSpec) and not same_source(data, self._selected):
            self.choose(data)

    def _check_then_choose(self, spec: SourceSpec) -> None:
        """Choose the video file ``spec`` once it has shown it can play; otherwise emit ``video_rejected``."""
        self._forget_video_check()
        # Opening decodes the first frame (as the launcher checks a --source file): slow on a large file or a network
        # drive, so off the GUI thread.
        call = BackgroundCall(lambda: open_source(spec).close(), name="check-video", parent=self)
        call.succeeded.connect(lambda _result: self._on_video_checked(call, spec, playable=True))
        call.failed.connect(lambda _error: self._on_video_checked(call, spec, playable=False))
        self._video_check = call
        call.start()

    def _on_video_checked(self, call: BackgroundCall, spec: SourceSpec, *, playable: bool) -> None:
        call.deleteLater()
        if call is not self._video_check:
            return
        self._video_check = None
        if playable:
            self.choose(spec)
            return
        self.video_rejected.emit(
            f"{spec.path.name} cannot be shown: it is damaged, incomplete or not a video Greenroom can read. Still "
            f"showing {self._selected.label()}. Pick another video, or convert this one to MP4 (H.264) with a video "
            "converter and pick the converted file."
        )

    def _forget_video_check(self) -> None:
        if self._video_check is not None:
            self._video_check.cancel()
            self._video_check = None

    def _on_format_changed(self) -> None:
        if self._selected.kind is SourceKind.CAMERA:
            self.source_chosen.emit(self.current_spec())
