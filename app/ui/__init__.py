"""Greenroom's desktop window (PySide6) on top of the Qt-free engine in ``app.engine``.

``run_gui(source_text)`` is what the ``greenroom`` command runs when no sub-command is given.
"""

from app.ui.launcher import choose_source, run_gui
from app.ui.main_window import MainWindow
from app.ui.persistence import SettingsStore
from app.ui.services import Services

__all__ = ["MainWindow", "Services", "SettingsStore", "choose_source", "run_gui"]
