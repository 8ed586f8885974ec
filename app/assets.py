"""Paths to what ships in ``assets/``: the demo clip and the bundled backgrounds (the model lives in segmentation)."""

from __future__ import annotations

import sys
from pathlib import Path


def assets_dir() -> Path:
    """``assets/`` next to the packages, or inside a PyInstaller bundle (``sys._MEIPASS``)."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "assets"
    return Path(__file__).resolve().parents[1] / "assets"


def demo_clip() -> Path:
    return assets_dir() / "demo" / "demo-desk-960x540.mp4"


def bundled_backgrounds() -> list[Path]:
    """Bundled background images, sorted by name."""
    folder = assets_dir() / "backgrounds"
    return sorted(path for path in folder.glob("*") if path.suffix.lower() in {".jpg", ".jpeg", ".png"})
