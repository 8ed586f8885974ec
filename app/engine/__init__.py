"""The Qt-free real-time engine: sources, latest-value slots, the render loop, refinement, compositing,
backgrounds, sinks and stats. Usable headless; the window (``app.ui``) is one client of it, the CLI another."""

from app.engine.engine import Engine, OutputFrame
from app.engine.events import EngineEvent, EventKind
from app.engine.settings import (
    BackgroundKind,
    BackgroundSpec,
    QualityMode,
    RenderSettings,
    SourceKind,
    SourceSpec,
    parse_background_spec,
    parse_source_spec,
)

__all__ = [
    "BackgroundKind",
    "BackgroundSpec",
    "Engine",
    "EngineEvent",
    "EventKind",
    "OutputFrame",
    "QualityMode",
    "RenderSettings",
    "SourceKind",
    "SourceSpec",
    "parse_background_spec",
    "parse_source_spec",
]
