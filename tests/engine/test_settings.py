from pathlib import Path

import pytest

from app.engine.settings import (
    BackgroundKind,
    BackgroundSpecError,
    RenderSettings,
    SourceKind,
    SourceSpec,
    parse_background_spec,
    parse_source_spec,
)


def test_background_keywords_and_colour() -> None:
    assert parse_background_spec("blur").kind is BackgroundKind.BLUR
    assert parse_background_spec("GREEN").kind is BackgroundKind.GREEN
    assert parse_background_spec("none").kind is BackgroundKind.NONE
    spec = parse_background_spec("color:#FF8000")
    assert spec.kind is BackgroundKind.COLOR and spec.color == (255, 128, 0)
    assert spec.describe() == "colour #FF8000"


def test_blur_strength_on_the_command_line() -> None:
    spec = parse_background_spec("blur:0.85")
    assert spec.kind is BackgroundKind.BLUR and spec.blur_strength == 0.85
    assert spec.describe() == "blur 0.85"
    assert parse_background_spec("BLUR:1").blur_strength == 1.0
    assert parse_background_spec("blur").blur_strength == 0.6


@pytest.mark.parametrize("text", ["blur:2", "blur:-0.5", "blur:strong", "blur:"])
def test_bad_blur_strength_says_the_form(text: str) -> None:
    with pytest.raises(BackgroundSpecError, match=r"blur:S with S from 0 \(light\) to 1 \(heavy\)"):
        parse_background_spec(text)


@pytest.mark.parametrize("text", ["color:#12", "color:red", "colour:#GGGGGG"])
def test_bad_colour_says_the_form(text: str) -> None:
    with pytest.raises(BackgroundSpecError, match="color:#RRGGBB"):
        parse_background_spec(text)


def test_background_files(tmp_path: Path) -> None:
    image, video = tmp_path / "beach.JPG", tmp_path / "waves.mp4"
    image.write_bytes(b"x")
    video.write_bytes(b"x")
    assert parse_background_spec(str(image)).kind is BackgroundKind.IMAGE
    assert parse_background_spec(str(video)).kind is BackgroundKind.VIDEO
    with pytest.raises(BackgroundSpecError, match="not found"):
        parse_background_spec(str(tmp_path / "missing.png"))
    with pytest.raises(BackgroundSpecError, match=r"give a picture \(.bmp .jpeg .jpg .png .tif .tiff .webp\)"):
        parse_background_spec("sparkles")


def test_sources() -> None:
    assert parse_source_spec("0").camera == 0
    assert parse_source_spec("/dev/video2").kind is SourceKind.CAMERA
    assert parse_source_spec("test").kind is SourceKind.TEST_PATTERN
    spec = parse_source_spec("clip.mp4", loop=False)
    assert spec.kind is SourceKind.VIDEO and spec.path == Path("clip.mp4") and not spec.loop


@pytest.mark.parametrize("field", ["threshold", "feather", "smoothing"])
def test_render_settings_validate_ranges(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RenderSettings(**{field: 1.5})


def test_a_source_is_labelled_by_its_file_name_or_its_description() -> None:
    assert SourceSpec(kind=SourceKind.VIDEO, path=Path("/clips/talk.mp4")).label() == "talk.mp4"
    assert SourceSpec(kind=SourceKind.CAMERA, camera=2).label() == "camera 2"
    assert SourceSpec(kind=SourceKind.TEST_PATTERN).label() == "test pattern"
