"""Render controls (mirror, mask view, only me, threshold, feather, smoothing, quality mode) and the compute device
picker.

The panel never talks to the engine: it emits ``changed`` and the window asks ``apply_to(settings)`` for a new
frozen ``RenderSettings`` built with ``dataclasses.replace``, which it hands to the engine whole.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from app.engine.settings import QualityMode, RenderSettings
from app.ui.unit_slider import UnitSlider
from app.ui.wheel_safe import WheelSafeComboBox
from segmentation import BackendInfo, Device

_QUALITY_LABELS = {
    QualityMode.ADAPTIVE: ("Adaptive", "Trade model size and mask rate to hold the frame rate"),
    QualityMode.QUALITY: ("Quality", "Largest model input and a new mask every frame"),
    QualityMode.SPEED: ("Speed", "Smallest model input: for slow computers"),
}
DEVICES = ((Device.CPU, "CPU"), (Device.CUDA, "CUDA (NVIDIA GPU)"))


class ControlsPanel(QWidget):
    """``changed`` fires on any render control; ``device_requested(str)`` when the user picks another device."""

    changed = Signal()
    device_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mirror = QCheckBox("Mirror")
        self.mirror.setToolTip("Flip the picture left to right (M)")
        self.mask_view = QCheckBox("Mask view")
        self.mask_view.setToolTip("Show the person mask in grey to check the edges (K)")
        self.only_me = QCheckBox("Only me")
        self.only_me.setToolTip(
            "Keep only the person at the camera (the largest, nearest the centre, then followed); everyone else gets "
            "the background. Someone touching you shows with you (O)"
        )
        self.lock_state = QLabel("")
        self.lock_state.setObjectName("hint")
        self.lock_state.setToolTip("Only me: locked on the main person, or searching for them")
        self.threshold = UnitSlider("Where the edge sits: higher keeps less of you (0.5 = the model's own choice)")
        self.feather = UnitSlider("Edge softness: 0 is a hard cut, 1 a wide soft edge")
        self.smoothing = UnitSlider("Steadies still edges over time: 0 is off")
        self.quality = WheelSafeComboBox()
        for mode, (label, tip) in _QUALITY_LABELS.items():
            self.quality.addItem(label, mode)
            self.quality.setItemData(self.quality.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.quality.setToolTip("Adaptive holds the frame rate; Quality and Speed fix the model size")
        self.device = WheelSafeComboBox()
        for value, label in DEVICES:
            self.device.addItem(label, value)
        self.device.setToolTip("Where the segmentation model runs")
        self.in_use = QLabel("in use: loading\N{HORIZONTAL ELLIPSIS}")
        self.in_use.setWordWrap(True)
        self.in_use.setObjectName("hint")

        toggles = QHBoxLayout()
        toggles.addWidget(self.mirror)
        toggles.addWidget(self.mask_view)
        toggles.addWidget(self.only_me)
        toggles.addWidget(self.lock_state)
        toggles.addStretch(1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(toggles)
        form.addRow("Threshold", self.threshold)
        form.addRow("Feather", self.feather)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Quality", self.quality)
        form.addRow("Device", self.device)
        form.addRow("", self.in_use)

        self.load_from(RenderSettings())
        for checkbox in (self.mirror, self.mask_view, self.only_me):
            checkbox.toggled.connect(self.changed)
        self.only_me.toggled.connect(lambda on: self.show_lock_state("searching" if on else ""))
        for slider in (self.threshold, self.feather, self.smoothing):
            slider.slider.valueChanged.connect(self.changed)
        self.quality.currentIndexChanged.connect(self.changed)
        self.device.activated.connect(lambda index: self.device_requested.emit(Device(self.device.itemData(index))))

    # --- render settings ----------------------------------------------------------------------------------------
    def apply_to(self, settings: RenderSettings) -> RenderSettings:
        """``settings`` with this panel's values (the background is left as it is)."""
        return dataclasses.replace(
            settings,
            mirror=self.mirror.isChecked(),
            only_me=self.only_me.isChecked(),
            threshold=self.threshold.value(),
            feather=self.feather.value(),
            smoothing=self.smoothing.value(),
            quality=self.quality.currentData(),
        )

    def load_from(self, settings: RenderSettings) -> None:
        """Show ``settings`` without emitting ``changed``."""
        self.blockSignals(True)
        widgets = (
            self.mirror,
            self.only_me,
            self.threshold.slider,
            self.feather.slider,
            self.smoothing.slider,
            self.quality,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.mirror.setChecked(settings.mirror)
            self.only_me.setChecked(settings.only_me)
            self.show_lock_state("searching" if settings.only_me else "")
            self.threshold.set_value(settings.threshold)
            self.feather.set_value(settings.feather)
            self.smoothing.set_value(settings.smoothing)
            self.quality.setCurrentIndex(self.quality.findData(settings.quality))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
            self.blockSignals(False)

    def show_lock_state(self, state: str) -> None:
        """The "Only me" indicator: ``locked`` (a dot and the word), ``searching``, or nothing while it is off."""
        marks = {"locked": "\N{BLACK CIRCLE} locked", "searching": "\N{WHITE CIRCLE} searching\N{HORIZONTAL ELLIPSIS}"}
        self.lock_state.setText(marks.get(state, "") if self.only_me.isChecked() else "")

    # --- compute device -----------------------------------------------------------------------------------------
    def set_cuda_available(self, available: bool) -> None:
        """Enable the CUDA choice only when torch sees a GPU, and say why not otherwise."""
        item = self.device.model().item(self.device.findData(Device.CUDA.value))
        item.setEnabled(available)
        item.setToolTip("" if available else "No CUDA GPU is visible to PyTorch on this computer")
        if not available:
            self.device.setToolTip("Where the segmentation model runs (CUDA: no NVIDIA GPU visible here)")

    def show_device(self, device: str) -> None:
        """Select ``device`` ("cpu" or "cuda") in the combo without asking for a reload."""
        index = self.device.findData(device)
        if index >= 0:
            self.device.setCurrentIndex(index)

    def show_backend(self, info: BackendInfo | None, note: str = "") -> None:
        """What really runs, for example ``in use: onnxruntime on cpu (float32)``."""
        if info is None:
            self.in_use.setText(note or "in use: nothing (no model loaded)")
            return
        self.in_use.setText(f"in use: {info.backend} on {info.device} ({info.precision})")
        self.in_use.setToolTip(f"model {info.model_name}" + (f"\n{info.note}" if info.note else ""))
        self.show_device(info.device)
