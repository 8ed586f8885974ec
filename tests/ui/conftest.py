"""Window test fixtures: isolated settings, the random-weights model loaded once, a still clip, a window factory.

The random model's mask means nothing, so the tests assert on what does not depend on its quality: colours where
the background shows, grey mask output, left/right flips, frames that keep coming, banners, files written.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

from PySide6.QtCore import QSettings, QStandardPaths

from app.engine.settings import QualityMode, RenderSettings, SourceKind, SourceSpec
from app.ui import MainWindow, Services, SettingsStore
from app.ui.style import apply_theme
from segmentation import BackendChoiceError

STILL_SIZE = (320, 180)  # width, height
LEFT_RGB = (210, 50, 50)  # reddish left half of the still clip
RIGHT_RGB = (50, 50, 210)  # bluish right half


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_settings(tmp_path_factory: pytest.TempPathFactory):
    """Nothing in these tests may read or write the user's real settings or standard folders."""
    folder = tmp_path_factory.mktemp("user_settings")
    for settings_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(settings_format, QSettings.Scope.UserScope, str(folder))
    QStandardPaths.setTestModeEnabled(True)
    yield
    QStandardPaths.setTestModeEnabled(False)


class SegmenterFactory:
    """Stands in for ``load_segmenter``: hands out the shared segmenter, records the device and the thread asked."""

    def __init__(self, segmenter, *, cuda: bool = False, error: Exception | None = None) -> None:
        self.segmenter, self.cuda, self.error = segmenter, cuda, error
        self.calls: list[tuple[str, str]] = []

    def __call__(self, device: str):
        self.calls.append((device, threading.current_thread().name))
        if self.error is not None:
            raise self.error
        if device == "cuda" and not self.cuda:
            raise BackendChoiceError(
                "device 'cuda' was asked for but no CUDA GPU is visible to torch; use the CPU (--device cpu)"
            )
        return self.segmenter


@pytest.fixture
def segmenter_factory(segmenter) -> SegmenterFactory:
    return SegmenterFactory(segmenter)


def write_still_clip(path: Path, frames: int = 30) -> Path:
    """A 320x180 mp4 whose every frame is a reddish left half and a bluish right half (RGB as above)."""
    width, height = STILL_SIZE
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:, : width // 2] = LEFT_RGB
    rgb[:, width // 2 :] = RIGHT_RGB
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (width, height))
    for _ in range(frames):
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="session")
def still_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_still_clip(tmp_path_factory.mktemp("clips") / "still.mp4")


@pytest.fixture
def still_source(still_clip: Path) -> SourceSpec:
    return SourceSpec(kind=SourceKind.VIDEO, path=still_clip)


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    """A settings store on a temporary INI file, primed for steady output: no temporal smoothing, fixed quality."""
    settings = QSettings(str(tmp_path / "greenroom.ini"), QSettings.Format.IniFormat)
    steady = SettingsStore(settings)
    steady.save_render_settings(RenderSettings(smoothing=0.0, quality=QualityMode.SPEED))
    return steady


def _no_dialog(*_args: object) -> None:
    raise AssertionError("a test opened a dialog")


@pytest.fixture
def services(tmp_path: Path, segmenter_factory: SegmenterFactory) -> Services:
    return Services(
        load_segmenter=segmenter_factory,
        cuda_available=lambda: False,
        list_cameras=list,
        recordings_folder=lambda: tmp_path / "Videos",
        pick_background_files=_no_dialog,
        pick_video=_no_dialog,
        pick_color=_no_dialog,
        open_folder=_no_dialog,
        confirm=_no_dialog,
    )


@pytest.fixture
def open_window(qtbot, qapp, store: SettingsStore, services: Services, still_source: SourceSpec):
    """``open_window(source=None, services=None, store=None, notice="")`` shows a streaming window (closed at the
    end of the test by pytest-qt, which stops its threads)."""
    apply_theme(qapp)

    def factory(
        source: SourceSpec | None = None,
        *,
        services: Services = services,
        store: SettingsStore = store,
        notice: str = "",
    ) -> MainWindow:
        window = MainWindow(store, source or still_source, services=services, notice=notice)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return factory


class FrameWaiter:
    """Waits for the engine to publish new output frames (settings apply from the next frame on)."""

    def __init__(self, qtbot) -> None:
        self._qtbot = qtbot

    def fresh(self, window: MainWindow, count: int = 4, timeout_ms: int = 10_000) -> np.ndarray:
        """The output (H, W, 3) uint8 RGB after ``count`` more frames than there are now."""
        _, start = window.session.latest_frame()

        def arrived() -> None:
            frame, version = window.session.latest_frame()
            assert frame is not None and version >= start + count

        self._qtbot.waitUntil(arrived, timeout=timeout_ms)
        frame, _ = window.session.latest_frame()
        return frame.rgb


@pytest.fixture
def frames(qtbot) -> FrameWaiter:
    return FrameWaiter(qtbot)


@pytest.fixture
def click_item(qtbot) -> Callable:
    """Click the gallery thumbnail in ``row`` like a user would."""
    from PySide6.QtCore import Qt

    def click(gallery, row: int) -> None:
        widget = gallery.list_widget()
        item = widget.item(row)
        widget.scrollToItem(item)
        qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=widget.visualItemRect(item).center())

    return click
