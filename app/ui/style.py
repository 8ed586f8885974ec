"""The window's look: a dark theme (a video tool is easier on the eyes dark, and the preview stands out).

``apply_theme(app)`` gives the application the Fusion style and a dark palette, which colours the standard widgets
(check boxes keep their native check marks); the window's style sheet adds the group boxes, the gallery, the sliders
and the buttons. Qt ignores a widget palette under a style sheet, hence the application-wide palette.

A slider takes the wheel and the arrow keys only once clicked or tabbed into (``wheel_safe``); the one that has them
shows it with a ring in the accent colour around its handle (as large as the plain handle, so it does not move) and
a lighter groove.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

SIDE_PANEL_WIDTH = 380

STYLE_SHEET = """
QMenuBar { background: #1a1b1e; color: #e3e3e6; }
QMenuBar::item:selected, QMenu::item:selected { background: #3a3d44; }
QMenu { background: #26272b; color: #e3e3e6; border: 1px solid #3a3d44; }
QGroupBox {
    border: 1px solid #34363c; border-radius: 6px; margin-top: 14px; padding-top: 6px; font-weight: 600;
}
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #9fc4ff; }
QGroupBox QWidget { font-weight: normal; }
QLabel#hint { color: #a4a6ad; }
QPushButton, QToolButton {
    background: #2d2f34; border: 1px solid #45474e; border-radius: 4px; padding: 5px 10px; color: #e3e3e6;
}
QPushButton:hover, QToolButton:hover { background: #383a40; }
QPushButton:pressed { background: #44464d; }
QComboBox {
    background: #2d2f34; border: 1px solid #45474e; border-radius: 4px; padding: 3px 8px; color: #e3e3e6;
}
QComboBox:disabled, QPushButton:disabled { color: #6d6f75; }
QComboBox QAbstractItemView {
    background: #26272b; color: #e3e3e6; selection-background-color: #3d6db5; border: 1px solid #45474e;
}
QListWidget { background: #18191b; border: 1px solid #34363c; border-radius: 6px; }
QListWidget::item { color: #d0d1d5; border-radius: 4px; padding: 2px; }
QListWidget::item:selected { background: #2f5fa3; color: white; }
QListWidget::item:hover { background: #2b2d32; }
QSlider::groove:horizontal { height: 4px; background: #45474e; border-radius: 2px; }
QSlider::sub-page:horizontal { background: #4f8de8; border-radius: 2px; }
QSlider::handle:horizontal { background: #e3e3e6; width: 14px; margin: -6px 0; border-radius: 7px; }
QSlider::groove:horizontal:focus { background: #5f626b; }
QSlider::handle:horizontal:focus { background: #ffffff; border: 3px solid #4f8de8; width: 8px; }
QPushButton:focus, QToolButton:focus { border: 2px solid #4f8de8; padding: 4px 9px; }
QComboBox:focus { border: 2px solid #4f8de8; padding: 2px 7px; }
QListWidget:focus { border: 1px solid #4f8de8; }
QCheckBox:focus { color: #9fc4ff; }
QStatusBar { background: #1a1b1e; color: #b9bbc1; }
QStatusBar QLabel { color: #b9bbc1; background: transparent; }
QScrollBar:horizontal { background: #18191b; height: 10px; margin: 0; }
QScrollBar::handle:horizontal { background: #45474e; border-radius: 4px; min-width: 30px; margin: 2px; }
QScrollBar::add-line:horizontal, QScrollBar::sub-line:horizontal { width: 0; }
QScrollBar:vertical { background: #202124; width: 10px; margin: 0; }
QScrollBar::handle:vertical { background: #45474e; border-radius: 4px; min-height: 30px; margin: 2px; }
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }
QToolTip { background: #2d2f34; color: #e3e3e6; border: 1px solid #45474e; }
"""


def dark_palette() -> QPalette:
    """The colours behind the style sheet, for widgets it does not style."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e3e3e6",
        QPalette.ColorRole.Base: "#2d2f34",
        QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.Text: "#e3e3e6",
        QPalette.ColorRole.Button: "#2d2f34",
        QPalette.ColorRole.ButtonText: "#e3e3e6",
        QPalette.ColorRole.Highlight: "#3d6db5",
        QPalette.ColorRole.Link: "#8ab4f8",  # links ("Open folder") readable on the dark panels
        QPalette.ColorRole.LinkVisited: "#c58af9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d2f34",
        QPalette.ColorRole.ToolTipText: "#e3e3e6",
        QPalette.ColorRole.PlaceholderText: "#8a8c93",
        QPalette.ColorRole.Light: "#4a4c53",
        QPalette.ColorRole.Mid: "#34363c",
        QPalette.ColorRole.Dark: "#151618",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6d6f75"))
    return palette


def apply_theme(app: QApplication) -> None:
    """Fusion style and the dark palette for the whole application."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
