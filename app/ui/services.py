"""What the window needs from the outside world, gathered so tests can replace any of it.

Dialogs here are opened only on a user's request (adding a file, picking a colour, quitting while recording);
errors never use dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMessageBox, QWidget

from app.assets import bundled_backgrounds, demo_clip
from app.engine.cameras import CameraInfo, list_cameras
from app.engine.settings import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from app.ui.session import SegmenterFactory
from segmentation import Segmenter


def load_default_segmenter(device: str) -> Segmenter:
    """The shipped model (or ``$GREENROOM_MODEL``) on ``device``; slow: call it off the GUI thread."""
    from app.engine.quality import LADDER_BUDGETS
    from segmentation import load_segmenter

    return load_segmenter(device=device, warm_up_budgets=LADDER_BUDGETS)


def probe_cuda() -> bool:
    """True if PyTorch sees a CUDA GPU (imports torch: call it off the GUI thread)."""
    from segmentation import cuda_available

    return cuda_available()


def videos_folder() -> Path:
    """``<the user's Videos folder>/Greenroom``, where recordings go."""
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(movies or Path.home()) / "Greenroom"


def _patterns(suffixes: frozenset[str]) -> str:
    return " ".join(f"*{suffix}" for suffix in sorted(suffixes))


def ask_background_files(parent: QWidget) -> list[Path]:
    files, _ = QFileDialog.getOpenFileNames(
        parent,
        "Add backgrounds",
        str(Path.home()),
        f"Images and videos ({_patterns(IMAGE_SUFFIXES | VIDEO_SUFFIXES)});;All files (*)",
    )
    return [Path(name) for name in files]


def ask_video_file(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Show a video file", str(Path.home()), f"Videos ({_patterns(VIDEO_SUFFIXES)});;All files (*)"
    )
    return Path(name) if name else None


def ask_color(parent: QWidget, current: tuple[int, int, int]) -> tuple[int, int, int] | None:
    color = QColorDialog.getColor(QColor(*current), parent, "Background colour")
    return (color.red(), color.green(), color.blue()) if color.isValid() else None


def ask_to_confirm(parent: QWidget, title: str, question: str) -> bool:
    """A Yes/No question (No is the default button); True if the user answered Yes."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, title, question, buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def open_folder(folder: Path) -> None:
    """Show ``folder`` in the system's file manager (on a user's click)."""
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


@dataclass(frozen=True)
class Services:
    """Replaceable collaborators of ``MainWindow`` (the defaults are the real ones)."""

    load_segmenter: SegmenterFactory = load_default_segmenter
    cuda_available: Callable[[], bool] = probe_cuda
    list_cameras: Callable[[], list[CameraInfo]] = list_cameras
    recordings_folder: Callable[[], Path] = videos_folder
    bundled_backgrounds: Callable[[], list[Path]] = bundled_backgrounds
    demo_clip: Callable[[], Path] = demo_clip
    pick_background_files: Callable[[QWidget], list[Path]] = ask_background_files
    pick_video: Callable[[QWidget], Path | None] = ask_video_file
    pick_color: Callable[[QWidget, tuple[int, int, int]], tuple[int, int, int] | None] = ask_color
    open_folder: Callable[[Path], None] = open_folder
    confirm: Callable[[QWidget, str, str], bool] = ask_to_confirm
