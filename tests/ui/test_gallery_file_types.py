"""Files the gallery cannot take are refused with a message that says why: an unsupported type lists the types it
takes; a damaged file of a supported type says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from transparent_media import half_transparent_png

from app.engine.settings import IMAGE_SUFFIXES, VIDEO_SUFFIXES, BackgroundKind

pytestmark = pytest.mark.gui


def test_unsupported_and_damaged_files_are_refused_each_with_its_reason(open_window, tmp_path: Path) -> None:
    gallery = open_window().gallery
    (tmp_path / "anim.gif").write_bytes(b"GIF89a")
    (tmp_path / "notes.png").write_text("not a picture")
    messages: list[str] = []
    gallery.files_rejected.connect(messages.append)
    before = len(gallery.specs())
    assert gallery.add_files([tmp_path / "anim.gif", tmp_path / "notes.png"]) == []
    assert len(gallery.specs()) == before
    unsupported, damaged = messages
    assert unsupported.startswith("cannot use anim.gif as a background: it can be a picture (")
    assert all(suffix in unsupported for suffix in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
    assert damaged == "cannot use notes.png as a background: the file is missing, damaged or not a picture or video"


def test_a_picture_with_a_video_s_name_is_listed_as_a_picture(open_window, tmp_path: Path) -> None:
    gallery = open_window().gallery
    renamed = half_transparent_png(tmp_path / "logo.png").rename(tmp_path / "logo.mp4")
    [added] = gallery.add_files([renamed])
    assert added.kind is BackgroundKind.IMAGE and added.describe() == "image: logo.mp4"
