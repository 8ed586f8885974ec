"""Gallery thumbnails of pictures: a file the engine would refuse gets no thumbnail, so the gallery rejects it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from transparent_media import half_transparent_png, half_transparent_video

from app.ui.thumbnails import THUMBNAIL_SIZE, file_thumbnail, image_thumbnail

pytestmark = pytest.mark.gui


def test_a_picture_cut_short_gets_no_thumbnail(qapp, tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    whole = tmp_path / "whole.jpg"
    Image.fromarray(pixels).save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert image_thumbnail(cut) is None
    thumbnail = image_thumbnail(whole)
    assert thumbnail is not None and thumbnail.size() == THUMBNAIL_SIZE


def _is_checkerboard_on_the_right(thumbnail) -> bool:
    """Left side the picture's opaque blue; right side only the checkerboard's two greys (no stored magenta)."""
    right = {thumbnail.pixelColor(x, y).getRgb()[:3] for x in range(84, 128) for y in range(0, 72, 3)}
    return thumbnail.pixelColor(10, 10).getRgb()[:3] == (0, 0, 255) and right == {(204, 204, 204), (153, 153, 153)}


def test_a_transparent_picture_shows_a_checkerboard_not_its_stored_colour(qapp, tmp_path: Path) -> None:
    thumbnail = image_thumbnail(half_transparent_png(tmp_path / "logo.png", 128, 72))
    assert thumbnail is not None and thumbnail.size() == THUMBNAIL_SIZE
    assert _is_checkerboard_on_the_right(thumbnail)


def test_a_transparent_video_shows_a_checkerboard_not_its_stored_colour(qapp, tmp_path: Path) -> None:
    thumbnail = file_thumbnail(half_transparent_video(tmp_path / "overlay.mov", width=128, height=72))
    assert thumbnail is not None and thumbnail.size() == THUMBNAIL_SIZE
    assert _is_checkerboard_on_the_right(thumbnail)  # the play mark is in the middle (x 48-80)


def test_a_picture_with_a_video_name_gets_the_picture_s_thumbnail(qapp, tmp_path: Path) -> None:
    renamed = half_transparent_png(tmp_path / "logo.png", 128, 72).rename(tmp_path / "logo.mp4")
    thumbnail = file_thumbnail(renamed)
    assert thumbnail is not None and _is_checkerboard_on_the_right(thumbnail)
