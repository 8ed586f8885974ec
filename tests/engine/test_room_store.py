"""Learned rooms on disk: one per source and picture size, a new file on each learning, forgotten on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.engine.room_plate import read_plate
from app.engine.room_store import RoomStore, room_key
from app.engine.settings import SourceKind, SourceSpec


def test_keys_name_the_source_safely() -> None:
    assert room_key(SourceSpec(kind=SourceKind.CAMERA, camera=0)) == "camera-0"
    device = room_key(SourceSpec(kind=SourceKind.CAMERA, camera="/dev/video2"))
    assert device.startswith("camera-dev-video2-") and "/" not in device
    video = room_key(SourceSpec(kind=SourceKind.VIDEO, path=Path("/some where/My Talk (1).mp4")))
    assert video.startswith("video-my-talk-1-") and " " not in video and "(" not in video
    other = room_key(SourceSpec(kind=SourceKind.VIDEO, path=Path("/elsewhere/My Talk (1).mp4")))
    assert other != video  # two files of one name are two rooms
    assert room_key(SourceSpec(kind=SourceKind.TEST_PATTERN)) == "test-pattern"


def test_a_room_is_found_by_source_and_size_replaced_when_learned_again_and_forgotten(tmp_path: Path) -> None:
    store = RoomStore(tmp_path / "rooms")
    assert store.find("camera-0", 640, 360) is None
    first = store.save("camera-0", np.full((360, 640, 3), 10, np.uint8))
    assert store.find("camera-0", 640, 360) == first
    assert store.find("camera-0", 1280, 720) is None and store.find("camera-1", 640, 360) is None
    second = store.save("camera-0", np.full((360, 640, 3), 20, np.uint8))
    assert second != first and not first.exists()  # a new name: the renderer reads the new picture
    assert store.find("camera-0", 640, 360) == second and int(read_plate(second)[0, 0, 0]) == 20
    other_size = store.save("camera-0", np.full((720, 1280, 3), 30, np.uint8))
    store.forget("camera-0", 640, 360)
    assert store.find("camera-0", 640, 360) is None and not second.exists()
    assert store.find("camera-0", 1280, 720) == other_size
