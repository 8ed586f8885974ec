"""Messages from the engine's threads to whoever drives it (the GUI shows them as banners, the CLI prints them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum


class EventKind(Enum):
    ERROR = "error"  # something the user must know about (camera lost, segmentation failed, bad file)
    WARNING = "warning"
    INFO = "info"  # state changes (source opened, quality level chosen)
    RECOVERED = "recovered"  # a previous error condition cleared


class EventSource(StrEnum):
    """Where an event comes from; the window keeps one banner per source."""

    CAPTURE = "capture"  # the camera or file being read
    RENDER = "render"  # segmentation, refinement, compositing, the background
    VIRTUAL_CAMERA = "virtual-camera"
    RECORDER = "recorder"
    MODEL = "model"  # loading or switching the segmentation model
    ROOM = "room"  # the picture of the empty room: whether it matches, learning it


@dataclass(frozen=True)
class EngineEvent:
    kind: EventKind
    source: EventSource
    message: str


EventCallback = Callable[[EngineEvent], None]


def ignore_event(event: EngineEvent) -> None:
    """Default callback: drop the event."""
