"""The background gallery: blur, green screen, a colour, the bundled pictures and the user's own images and videos.

One click on a thumbnail emits ``background_chosen(BackgroundSpec)``; the window hands it to the running engine,
so the background changes at the next frame without restarting the stream. Files are added with the "Add" button
(a file dialog) or by dropping them on the gallery, and taken out again with "Remove from gallery" in their context
menu or the window's Delete shortcut (the file stays on the disk; the built-in tiles and the bundled pictures cannot
be removed). Removing the background in use makes its neighbour the background.
The blur strength slider beside the thumbnails sets the Blur tile's strength and switches to it, as picking a colour
switches to the Colour tile. A picture's or video's transparent parts show the blurred room at that strength too, so
the spec emitted for a file carries it; the gallery tells two specs of one file apart only by their path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.background_catalogue import (
    FILE_KINDS,
    admit,
    display_name,
    same_background,
    unreadable_message,
    wrong_type_message,
)
from app.engine.backgrounds import file_kind
from app.engine.settings import (
    DEFAULT_BLUR_STRENGTH,
    BackgroundKind,
    BackgroundSpec,
)
from app.ui.drop_list import DropList
from app.ui.thumbnails import blur_thumbnail, file_thumbnail, swatch
from app.ui.unit_slider import UnitSlider

_SPEC_ROLE = Qt.ItemDataRole.UserRole
_USER_ROLE = Qt.ItemDataRole.UserRole + 1
_DEFAULT_COLOR = (32, 48, 64)
REMOVE_TEXT = "Remove from gallery"

FilePicker = Callable[[QWidget], list[Path]]
ColorPicker = Callable[[QWidget, tuple[int, int, int]], tuple[int, int, int] | None]


class BackgroundGallery(QWidget):
    """Thumbnails of every background; ``current()`` is the selected one."""

    background_chosen = Signal(object)  # BackgroundSpec
    background_missing = Signal(object)  # Path of a picked file that is gone, after the Blur tile chosen instead
    files_rejected = Signal(str)  # user-facing message

    def __init__(
        self,
        bundled: Iterable[Path],
        *,
        pick_files: FilePicker,
        pick_color: ColorPicker,
        blur_sample: np.ndarray | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._pick_files, self._pick_color = pick_files, pick_color
        self._quiet = False
        self._list = DropList()
        self._list.setToolTip(
            "Click a background to use it now. Drop your own pictures or videos here; right-click one of yours to "
            "remove it from the gallery."
        )
        self._list.currentItemChanged.connect(self._on_current_changed)
        self._list.itemDoubleClicked.connect(self._on_double_clicked)
        self._list.files_dropped.connect(self._add_and_choose)
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._list.customContextMenuRequested.connect(self._show_context_menu)
        self.add_button = QPushButton("Add image or video\N{HORIZONTAL ELLIPSIS}")
        self.add_button.setToolTip("Add your own pictures or videos (or drop files on the gallery) (Ctrl+O)")
        self.add_button.clicked.connect(self.ask_for_files)
        self.color_button = QPushButton("Pick colour\N{HORIZONTAL ELLIPSIS}")
        self.color_button.setToolTip("Choose the colour of the solid colour background")
        self.color_button.clicked.connect(self.ask_for_color)
        self.blur_slider = UnitSlider("How strongly the room behind you is blurred: 0 light, 1 heavy")
        self.blur_slider.set_value(DEFAULT_BLUR_STRENGTH)
        self.blur_slider.slider.valueChanged.connect(self._on_blur_strength_changed)
        blur_label = QLabel("Blur strength")
        blur_label.setObjectName("hint")
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.color_button)
        buttons.addWidget(blur_label)
        buttons.addWidget(self.blur_slider)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._list, 1)
        layout.addLayout(buttons)

        self._blur_item = self._add_item(
            "Blur", BackgroundSpec(kind=BackgroundKind.BLUR), QPixmap.fromImage(blur_thumbnail(blur_sample))
        )
        self._blur_item.setToolTip("Your room, blurred; set how strongly with the slider beside the thumbnails")
        green = BackgroundSpec(kind=BackgroundKind.GREEN)
        self._add_item("Green screen", green, QPixmap.fromImage(swatch(green.color)))
        self._color_item = self._add_item("Colour", BackgroundSpec(kind=BackgroundKind.COLOR, color=_DEFAULT_COLOR))
        self._set_color_icon(_DEFAULT_COLOR)
        for path in bundled:
            self._add_file(path, user=False)

    # --- queries ------------------------------------------------------------------------------------------------
    def current(self) -> BackgroundSpec:
        """The selected background, as it is emitted (a picture with the Blur tile's strength)."""
        item = self._list.currentItem()
        return self._spec_of(item) if item is not None else BackgroundSpec()

    def specs(self) -> list[BackgroundSpec]:
        """Every background in gallery order, as each would be emitted."""
        return [self._spec_of(self._list.item(row)) for row in range(self._list.count())]

    def user_files(self) -> list[Path]:
        items = (self._list.item(row) for row in range(self._list.count()))
        return [item.data(_SPEC_ROLE).path for item in items if item.data(_USER_ROLE)]

    def list_widget(self) -> QListWidget:
        return self._list

    def custom_color(self) -> tuple[int, int, int]:
        """The colour of the Colour tile (the user's last pick, or the default), RGB 0-255."""
        return self._color_item.data(_SPEC_ROLE).color

    def blur_strength(self) -> float:
        """The Blur tile's strength in [0, 1] (the user's last setting, or the default)."""
        return self._blur_item.data(_SPEC_ROLE).blur_strength

    # --- changes ------------------------------------------------------------------------------------------------
    def select(self, spec: BackgroundSpec) -> bool:
        """Select the item showing ``spec`` without emitting (a colour or blur spec also sets the Colour tile's colour
        or the Blur tile's strength); False if absent."""
        if spec.kind is BackgroundKind.COLOR:
            self._set_color(spec.color)
        if spec.kind is BackgroundKind.BLUR:
            self.set_blur_strength(spec.blur_strength)
        for row, known in enumerate(self.specs()):
            if same_background(known, spec):
                self._set_current_quietly(lambda row=row: self._list.setCurrentRow(row))
                return True
        return False

    def select_blur(self) -> None:
        """Select the Blur tile at its strength, without emitting."""
        self._set_current_quietly(lambda: self._list.setCurrentItem(self._blur_item))

    def set_custom_color(self, rgb: tuple[int, int, int]) -> None:
        """Give the Colour tile ``rgb`` (RGB 0-255) without selecting it or emitting."""
        self._set_color(rgb)

    def set_blur_strength(self, strength: float) -> None:
        """Give the Blur tile ``strength`` (clipped to [0, 1]) and move the slider, without selecting or emitting."""
        strength = min(max(float(strength), 0.0), 1.0)
        self._blur_item.setData(_SPEC_ROLE, BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=strength))
        self.blur_slider.slider.blockSignals(True)
        try:
            self.blur_slider.set_value(strength)
        finally:
            self.blur_slider.slider.blockSignals(False)

    def step(self, offset: int) -> BackgroundSpec:
        """Select the next (``offset`` 1) or previous (-1) background, wrapping around, and emit it. A file that has
        gone is stepped over: picking it would go back to the Blur tile, and so round in a circle."""
        count = self._list.count()
        row = max(self._list.currentRow(), 0)
        for _ in range(count):
            row = (row + offset) % count
            path = self._list.item(row).data(_SPEC_ROLE).path
            if path is None or path.is_file():
                break
        self._list.setCurrentRow(row)
        return self.current()

    def add_files(self, paths: Iterable[Path]) -> list[BackgroundSpec]:
        """Add the user's files (duplicates are skipped); unreadable ones are reported with ``files_rejected``."""
        admission = admit(paths, {spec.path for spec in self.specs() if spec.path is not None})
        added, rejected = [], []
        for path in admission.new:
            spec = self._add_file(path, user=True)
            if spec is None:
                rejected.append(path.name)
            else:
                added.append(spec)
        if admission.wrong_type:
            self.files_rejected.emit(wrong_type_message(admission.wrong_type))
        if rejected:
            self.files_rejected.emit(unreadable_message(rejected))
        return added

    def remove_current(self) -> bool:
        """Take the selected background out of the gallery (not off the disk) if it is one of the user's own, and make
        its neighbour the background; False, and nothing changes, for a built-in one."""
        return self._remove_item(self._list.currentItem())

    def context_menu(self, item: QListWidgetItem | None) -> QMenu | None:
        """The menu a right-click on ``item`` opens: "Remove from gallery" for the user's own backgrounds, else None."""
        if item is None or not item.data(_USER_ROLE):
            return None
        menu = QMenu(self._list)
        menu.addAction(REMOVE_TEXT).triggered.connect(lambda: self._remove_item(item))
        return menu

    def ask_for_color(self) -> None:
        """Ask the user for a colour (user-initiated dialog); choosing one switches to it at once."""
        picked = self._pick_color(self, self._color_item.data(_SPEC_ROLE).color)
        if picked is None:
            return
        self._set_color(picked)
        if self._list.currentItem() is self._color_item:
            self.background_chosen.emit(self.current())
        else:
            self._list.setCurrentItem(self._color_item)

    # --- internals ----------------------------------------------------------------------------------------------
    def _spec_of(self, item: QListWidgetItem) -> BackgroundSpec:
        """``item``'s background as the engine gets it: a picture's or a video's transparent parts show the room
        blurred at the Blur tile's strength."""
        spec: BackgroundSpec = item.data(_SPEC_ROLE)
        if spec.kind in FILE_KINDS:
            return dataclasses.replace(spec, blur_strength=self.blur_strength())
        return spec

    def _add_item(self, label: str, spec: BackgroundSpec, pixmap: QPixmap | None = None) -> QListWidgetItem:
        item = QListWidgetItem(label)
        item.setData(_SPEC_ROLE, spec)
        item.setToolTip(spec.describe())
        if pixmap is not None:
            item.setIcon(QIcon(pixmap))
        self._list.addItem(item)
        return item

    def _add_file(self, path: Path, *, user: bool) -> BackgroundSpec | None:
        thumbnail = file_thumbnail(path) if path.is_file() else None
        if thumbnail is None:
            return None
        spec = BackgroundSpec(kind=file_kind(path), path=path)
        item = self._add_item(display_name(path), spec, QPixmap.fromImage(thumbnail))
        item.setData(_USER_ROLE, user)
        removal = "\nRight-click or press Delete to remove it from the gallery (the file stays)" if user else ""
        item.setToolTip(f"{spec.describe()}\n{path}{removal}")
        return spec

    def _remove_item(self, item: QListWidgetItem | None) -> bool:
        """Take ``item`` out if it is one of the user's own; when it was in use, its neighbour (the next one, or the
        previous when it was the last) becomes the background."""
        if item is None or not item.data(_USER_ROLE):
            return False
        row, was_current = self._list.row(item), item is self._list.currentItem()
        self._set_current_quietly(lambda: self._list.takeItem(row))
        if was_current:
            neighbour = min(row, self._list.count() - 1)
            self._set_current_quietly(lambda: self._list.setCurrentRow(neighbour))
            self._emit_current()
        return True

    def _set_current_quietly(self, change: Callable[[], object]) -> None:
        """Run ``change`` (which may move the current item) without emitting ``background_chosen``."""
        self._quiet = True
        try:
            change()
        finally:
            self._quiet = False

    def _show_context_menu(self, position: QPoint) -> None:
        menu = self.context_menu(self._list.itemAt(position))
        if menu is not None:
            menu.exec(self._list.viewport().mapToGlobal(position))
            menu.deleteLater()

    def _set_color(self, rgb: tuple[int, int, int]) -> None:
        self._color_item.setData(_SPEC_ROLE, BackgroundSpec(kind=BackgroundKind.COLOR, color=tuple(rgb)))
        self._set_color_icon(rgb)

    def _set_color_icon(self, rgb: tuple[int, int, int]) -> None:
        spec = self._color_item.data(_SPEC_ROLE)
        self._color_item.setIcon(QIcon(QPixmap.fromImage(swatch(rgb, "#{:02X}{:02X}{:02X}".format(*rgb)))))
        self._color_item.setToolTip(f"{spec.describe()}; double-click or 'Pick colour' to change it")

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None and not self._quiet:
            self._emit_current()

    def _emit_current(self) -> None:
        """Emit the selected background; a picture or video whose file has gone since it was added is replaced by the
        Blur tile (selected and emitted instead, then ``background_missing`` names the file)."""
        spec = self.current()
        gone = spec.path if spec.path is not None and not spec.path.is_file() else None
        if gone is not None:
            self.select_blur()
            self._list.scrollToItem(self._blur_item)  # in sight: the gallery shows what is in use
        self.background_chosen.emit(self.current())
        if gone is not None:
            self.background_missing.emit(gone)

    def _on_blur_strength_changed(self, _value: int) -> None:
        """The user moved the slider: the Blur tile takes the strength and becomes (or stays) the background."""
        strength = self.blur_slider.value()
        self._blur_item.setData(_SPEC_ROLE, BackgroundSpec(kind=BackgroundKind.BLUR, blur_strength=strength))
        if self._list.currentItem() is self._blur_item:
            self.background_chosen.emit(self.current())
        else:
            self._list.setCurrentItem(self._blur_item)

    def _on_double_clicked(self, item: QListWidgetItem) -> None:
        if item is self._color_item:
            self.ask_for_color()

    def ask_for_files(self) -> None:
        """Ask the user for image or video files (user-initiated dialog); the last one added is used at once."""
        self._add_and_choose(self._pick_files(self))

    def _add_and_choose(self, paths: list[Path]) -> None:
        """Add ``paths`` and use the last usable one (also when it was in the gallery already)."""
        self.add_files(paths)
        resolved = [Path(path).expanduser().resolve() for path in paths]
        present = [spec for spec in self.specs() if spec.path in resolved]
        if present:
            last = max(present, key=lambda spec: resolved.index(spec.path))
            if not same_background(last, self.current()):
                self.select(last)
                self.background_chosen.emit(self.current())
