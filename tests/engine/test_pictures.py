"""Background pictures: damaged files are refused, large ones shrunk on load, EXIF orientation and 16-bit greys kept."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from transparent_media import half_transparent_png, half_transparent_video

from app.engine.backgrounds import BackgroundError, make_background
from app.engine.pictures import MAX_PICTURE_SIDE, PictureError, read_picture_layers
from app.engine.settings import BackgroundKind, BackgroundSpec, parse_background_spec


def _photo(path: Path, width: int, height: int, **save_options: object) -> Path:
    """A noisy colour picture (JPEG compresses it into a stream long enough to cut short)."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, **save_options)
    return path


def test_a_picture_cut_short_is_refused_not_shown_half_grey(tmp_path: Path) -> None:
    whole = _photo(tmp_path / "whole.jpg", 640, 360, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert cv2.imread(str(cut)) is not None  # what OpenCV would have shown: the lower half flat grey
    with pytest.raises(PictureError, match="damaged"):
        read_picture_layers(cut)
    with pytest.raises(BackgroundError, match=r"cannot read background image .*cut\.jpg: the file is damaged"):
        make_background(BackgroundSpec(kind=BackgroundKind.IMAGE, path=cut))
    assert read_picture_layers(whole)[0].shape == (360, 640, 3)


def test_missing_and_non_picture_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(PictureError, match="not found"):
        read_picture_layers(tmp_path / "gone.png")
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(PictureError, match="damaged or not a picture"):
        read_picture_layers(tmp_path / "notes.png")


def test_a_large_photo_is_shrunk_to_the_largest_frame_on_load(tmp_path: Path) -> None:
    big = _photo(tmp_path / "big.jpg", 8000, 4500, quality=80)
    rgb = read_picture_layers(big)[0]
    assert max(rgb.shape[:2]) == MAX_PICTURE_SIDE and rgb.shape == (2160, 3840, 3)


def test_exif_orientation_turns_the_picture_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    sideways = _photo(tmp_path / "phone.jpg", 64, 32, exif=exif.tobytes())
    assert read_picture_layers(sideways)[0].shape == (64, 32, 3)


def test_sixteen_bit_greys_are_scaled_not_clipped_to_white(tmp_path: Path) -> None:
    grey = np.full((20, 30), 32768, np.uint16)  # mid grey
    cv2.imwrite(str(tmp_path / "scan.png"), grey)
    rgb = read_picture_layers(tmp_path / "scan.png")[0]
    assert rgb.dtype == np.uint8 and rgb.shape == (20, 30, 3) and np.all(rgb == 128)


def test_transparency_is_read_as_opacity(tmp_path: Path) -> None:
    rgb, opacity = read_picture_layers(half_transparent_png(tmp_path / "logo.png"))
    assert rgb.shape == (36, 64, 3) and opacity is not None and opacity.shape == (36, 64)
    assert np.all(opacity[:, :32] == 255) and np.all(opacity[:, 32:] == 0)
    palette = Image.new("P", (20, 10), 0)
    palette.putpalette([0, 0, 0, 255, 255, 255])
    palette.paste(1, (10, 0, 20, 10))
    palette.save(tmp_path / "cut.gif", transparency=0)
    _, gif_opacity = read_picture_layers(tmp_path / "cut.gif")
    assert gif_opacity is not None and np.all(gif_opacity[:, :10] == 0) and np.all(gif_opacity[:, 10:] == 255)
    Image.new("RGBA", (8, 8), (10, 20, 30, 255)).save(tmp_path / "opaque.png")
    assert read_picture_layers(tmp_path / "opaque.png")[1] is None


def test_transparent_parts_show_the_blurred_room_not_their_stored_colour(tmp_path: Path) -> None:
    background = make_background(
        BackgroundSpec(kind=BackgroundKind.IMAGE, path=half_transparent_png(tmp_path / "a.png"))
    )
    frame = np.full((360, 640, 3), 100, np.uint8)  # a grey room
    frame[100:300, 400:500] = (220, 30, 30)  # a person in red, on the transparent side
    person = np.zeros((360, 640), np.uint8)
    person[100:300, 400:500] = 255
    out = background.render(frame, person).astype(int)
    assert np.all(out[:, :300] == (0, 0, 255))  # the opaque half is the picture
    room = out[:, 360:]  # well inside the transparent half
    assert np.abs(room - 100).max() <= 2  # the grey room: no magenta, no glow of the red shirt


def test_a_transparent_video_shows_the_blurred_room_and_loops(tmp_path: Path) -> None:
    video = half_transparent_video(tmp_path / "overlay.mov")
    assert cv2.VideoCapture(str(video)).read()[0]  # OpenCV reads it, but without its alpha
    background = make_background(BackgroundSpec(kind=BackgroundKind.VIDEO, path=video))
    frame = np.full((360, 640, 3), 100, np.uint8)
    person = np.zeros((360, 640), np.uint8)
    for _ in range(7):  # past the end of its 3 frames, twice
        out = background.render(frame, person).astype(int)
        assert np.all(out[:, :300] == (0, 0, 255)) and np.abs(out[:, 340:] - 100).max() <= 2
    background.close()


def test_a_picture_named_like_a_video_is_used_as_a_picture(tmp_path: Path) -> None:
    renamed = half_transparent_png(tmp_path / "logo.png").rename(tmp_path / "logo.mp4")
    background = make_background(BackgroundSpec(kind=BackgroundKind.VIDEO, path=renamed))
    out = background.render(np.full((360, 640, 3), 100, np.uint8), np.zeros((360, 640), np.uint8)).astype(int)
    assert np.all(out[:, :300] == (0, 0, 255)) and np.abs(out[:, 340:] - 100).max() <= 2  # no magenta


def test_tiff_pictures_are_backgrounds(tmp_path: Path) -> None:
    _photo(tmp_path / "scan.tif", 64, 36)
    spec = parse_background_spec(str(tmp_path / "scan.tif"))
    assert spec.kind is BackgroundKind.IMAGE
    assert make_background(spec).render(np.zeros((36, 64, 3), np.uint8)).shape == (36, 64, 3)


def test_a_transparent_video_s_edge_has_no_tint_of_its_hidden_colour(tmp_path: Path) -> None:
    """Scaled up, the edge between opaque and transparent blends blue into the room, as the same picture's does; the
    magenta the transparent pixels store must not tint it (it did when the frames were scaled before their colour
    was multiplied by their opacity)."""
    frame, person = np.full((360, 640, 3), 100, np.uint8), np.zeros((360, 640), np.uint8)
    video = make_background(BackgroundSpec(kind=BackgroundKind.VIDEO, path=half_transparent_video(tmp_path / "v.mov")))
    picture = make_background(BackgroundSpec(kind=BackgroundKind.IMAGE, path=half_transparent_png(tmp_path / "p.png")))
    edge = np.s_[:, 300:340]
    blended = picture.render(frame, person)[edge].astype(int)
    assert np.abs(video.render(frame, person)[edge].astype(int) - blended).max() <= 1
    video.close()
