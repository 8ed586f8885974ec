"""Messages from the engine's threads to whoever drives it (the GUI shows them as banners, the CLI prints them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class EventKind(Enum):
    ERROR = "error"  # something the user must know about (camera lost, segmentation failed, bad file)
    WARNING = "warning"
    INFO = "info"  # state changes (source opened, quality level chosen)
    RECOVERED = "recovered"  # a previous error condition cleared


@dataclass(frozen=True)
class EngineEvent:
    kind: EventKind
    source: str  # "capture", "render", "virtual-camera", "recorder", ...
    message: str


EventCallback = Callable[[EngineEvent], None]


def ignore_event(event: EngineEvent) -> None:
    """Default callback: drop the event."""
