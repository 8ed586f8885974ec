"""Gallery thumbnails of pictures: a file the engine would refuse gets no thumbnail, so the gallery rejects it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.ui.thumbnails import THUMBNAIL_SIZE, image_thumbnail

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


def test_a_transparent_picture_shows_a_checkerboard_not_its_stored_colour(qapp, tmp_path: Path) -> None:
    rgba = np.zeros((72, 128, 4), np.uint8)
    rgba[:, :64] = (0, 0, 255, 255)  # opaque blue
    rgba[:, 64:] = (255, 0, 255, 0)  # transparent, storing magenta
    Image.fromarray(rgba, "RGBA").save(tmp_path / "logo.png")
    thumbnail = image_thumbnail(tmp_path / "logo.png")
    assert thumbnail is not None and thumbnail.size() == THUMBNAIL_SIZE
    assert thumbnail.pixelColor(10, 10).getRgb()[:3] == (0, 0, 255)
    transparent_side = {thumbnail.pixelColor(x, y).getRgb()[:3] for x in range(72, 128) for y in range(72)}
    assert transparent_side == {(204, 204, 204), (153, 153, 153)}  # the two greys of the checkerboard
