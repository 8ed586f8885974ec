"""``DropList``: the gallery's row of thumbnails, an icon-mode list that takes image and video files dropped on it
from a file manager (``files_dropped(list[Path])``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QWidget

from app.engine.background_catalogue import takes_file_type
from app.ui.thumbnails import THUMBNAIL_SIZE


def _dropped_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
    """Local image/video files carried by a drag, in order."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if takes_file_type(path)]


class DropList(QListWidget):
    """Icon-mode list that accepts image and video files dropped from a file manager."""

    files_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(THUMBNAIL_SIZE)
        grid = QSize(THUMBNAIL_SIZE.width() + 14, THUMBNAIL_SIZE.height() + 30)
        self.setGridSize(grid)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)  # one row of thumbnails under the preview, scrolled sideways
        self.setWrapping(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(grid.height() + self.horizontalScrollBar().sizeHint().height() + 8)
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        """A right-click opens the context menu without making the clicked background the active one.

        A left click makes the clicked item current, then selects it; when the gallery moved the current item
        elsewhere in between (a picked file that has gone gives way to the Blur tile), the selection follows it."""
        if event.button() == Qt.MouseButton.RightButton:
            event.ignore()
            return
        super().mousePressEvent(event)
        pressed, current = self.itemAt(event.position().toPoint()), self.currentItem()
        if pressed is not None and current is not None and pressed is not current and pressed.isSelected():
            self.setCurrentItem(current)  # the current item stays: nothing is emitted

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        if _dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 (Qt override)
        if _dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        paths = _dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(paths)
