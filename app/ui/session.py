"""``StreamSession``: the engine's lifecycle as seen from the GUI thread.

It loads the segmentation model off the GUI thread (``BackgroundCall``), then starts the engine, whose capture and
render threads do all per-frame work. Source, settings and device changes go to the running engine; none of them
restarts the stream. Model problems are reported as engine events (``EventSource.MODEL``) through the bridge, so the
window shows them as banners like every other problem; a model that cannot load at all emits ``model_failed``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from app.engine.engine import Engine, OutputFrame
from app.engine.events import EngineEvent, EventKind, EventSource
from app.engine.settings import RenderSettings, SourceSpec
from app.engine.slot import LatestSlot
from app.engine.stats import StatsSnapshot
from app.ui.bridge import BackgroundCall, EngineBridge
from segmentation import BackendChoiceError, BackendInfo, Device, Segmenter

SegmenterFactory = Callable[[str], Segmenter]  # a Device (or its text) -> Segmenter; WeightsError/BackendChoiceError


class StreamSession(QObject):
    """Start with ``start(source, device)``; ``stop()`` joins every thread it started.

    The settings are not held here: ``settings()`` (the window's, with the mask view applied) is asked when the
    engine starts, and ``apply_settings`` hands the engine the current ones after a change.
    """

    backend_ready = Signal(object)  # BackendInfo of the segmenter now handed to the engine
    model_failed = Signal(str)  # no model could be loaded: the stream cannot start

    def __init__(
        self,
        load_segmenter: SegmenterFactory,
        bridge: EngineBridge,
        settings: Callable[[], RenderSettings],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._load_segmenter = load_segmenter
        self._bridge = bridge
        self._settings = settings
        self._engine: Engine | None = None
        self._source: SourceSpec | None = None
        self._loading: BackgroundCall | None = None
        self._stopped = False

    # --- queries ------------------------------------------------------------------------------------------------
    @property
    def engine(self) -> Engine | None:
        return self._engine

    @property
    def streaming(self) -> bool:
        return self._engine is not None and self._engine.running

    @property
    def loading(self) -> bool:
        return self._loading is not None and self._loading.running

    @property
    def source(self) -> SourceSpec | None:
        """The source asked for last (what the capture thread opens, or retries)."""
        return self._source

    @property
    def output(self) -> LatestSlot[OutputFrame] | None:
        return self._engine.output if self._engine is not None else None

    def latest_frame(self) -> tuple[OutputFrame | None, int]:
        return self._engine.output.peek() if self._engine is not None else (None, 0)

    def snapshot(self) -> StatsSnapshot | None:
        return self._engine.snapshot() if self._engine is not None else None

    @property
    def source_description(self) -> str:
        return self._engine.source_description if self._engine is not None else ""

    @property
    def backend(self) -> BackendInfo | None:
        """What the render thread really uses now (a device switch shows here from the next frame)."""
        return self._engine.segmenter.info if self._engine is not None else None

    # --- control ------------------------------------------------------------------------------------------------
    def start(self, source: SourceSpec, device: str) -> None:
        """Load the model for ``device`` in the background, then stream ``source`` with the window's settings."""
        self._source = source
        self._load(device)

    def set_source(self, source: SourceSpec) -> None:
        self._source = source
        if self._engine is not None:
            self._engine.set_source(source)

    def apply_settings(self) -> None:
        """Hand the engine the window's current settings (they take effect at the next frame)."""
        if self._engine is not None:
            self._engine.set_settings(self._settings())

    def set_device(self, device: str) -> None:
        """Load a segmenter for ``device`` off the GUI thread and swap it into the running engine."""
        self._load(device)

    def stop(self, timeout: float = 1.5) -> None:
        """Stop the engine's threads cooperatively (joined within ``timeout`` s) and drop pending model loads."""
        self._stopped = True
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None
        if self._engine is not None:
            self._engine.stop(timeout=timeout)

    # --- model loading ------------------------------------------------------------------------------------------
    def _load(self, device: str) -> None:
        if self._stopped:
            return
        if self._loading is not None:
            self._loading.cancel()  # only the newest request counts
        call = BackgroundCall(lambda: self._load_segmenter(device), name="load-model", parent=self)
        call.succeeded.connect(lambda segmenter: self._on_loaded(call, segmenter))
        call.failed.connect(lambda error: self._on_failed(call, device, error))
        self._loading = call
        call.start()

    def _on_loaded(self, call: BackgroundCall, segmenter: Segmenter) -> None:
        if call is not self._loading or self._stopped:
            return
        self._loading = None
        call.deleteLater()
        if self._engine is None:
            self._engine = Engine(
                segmenter, on_event=self._bridge.post, cpu_fallback=lambda: self._load_segmenter(Device.CPU)
            )
            if self._source is not None:
                self._engine.start(self._source, self._settings())
        else:
            self._engine.set_segmenter(segmenter)
        if segmenter.info.note:  # a GPU is there but unusable: say why the CPU runs instead
            self._report(EventKind.WARNING, segmenter.info.note)
        self.backend_ready.emit(segmenter.info)

    def _on_failed(self, call: BackgroundCall, device: str, error: object) -> None:
        if call is not self._loading or self._stopped:
            return
        self._loading = None
        call.deleteLater()
        message = str(error)
        if isinstance(error, BackendChoiceError) and device != Device.CPU:  # e.g. CUDA asked for but not visible
            self._report(EventKind.WARNING, f"cannot use {device}: {message}; using the CPU instead")
            self._load(Device.CPU)
            return
        if self._engine is not None:
            info = self._engine.segmenter.info
            self._report(EventKind.ERROR, f"cannot switch to {device}: {message}; still on {info.device}")
            self.backend_ready.emit(info)
            return
        self.model_failed.emit(message)  # the window keeps this one on screen until dismissed

    def _report(self, kind: EventKind, message: str) -> None:
        self._bridge.post(EngineEvent(kind, EventSource.MODEL, message))
