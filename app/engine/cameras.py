"""List the cameras attached to this computer, with names (via ``cv2-enumerate-cameras``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CameraInfo:
    """``index`` to pass to OpenCV, a human ``name`` and the device ``path`` where the OS has one."""

    index: int
    name: str
    path: str


def list_cameras() -> list[CameraInfo]:
    """Cameras OpenCV can open, deduplicated by index; empty when there are none (or enumeration fails)."""
    try:
        from cv2_enumerate_cameras import enumerate_cameras
    except ImportError:
        return []
    found: dict[int, CameraInfo] = {}
    try:
        for camera in enumerate_cameras():
            found.setdefault(
                camera.index, CameraInfo(camera.index, camera.name or f"Camera {camera.index}", camera.path or "")
            )
    except OSError:
        return []
    return [found[index] for index in sorted(found)]
