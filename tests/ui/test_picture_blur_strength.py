"""A picture's or video's transparent parts show the room blurred at the Blur strength slider's setting, also after a
restart."""

from __future__ import annotations

import pytest
from transparent_media import half_transparent_png, half_transparent_video

from app.engine.settings import BackgroundKind

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(
    ("name", "kind"), [("window.png", BackgroundKind.IMAGE), ("overlay.mov", BackgroundKind.VIDEO)]
)
def test_a_picture_chosen_after_setting_the_blur_strength_carries_it_and_keeps_it_after_a_restart(
    open_window, qtbot, click_item, tmp_path, name, kind
):
    if kind is BackgroundKind.IMAGE:
        picture = half_transparent_png(tmp_path / name, 160, 90).resolve()
    else:
        picture = half_transparent_video(tmp_path / name).resolve()
    window = open_window()
    gallery = window.gallery
    gallery.add_files([picture])
    gallery.blur_slider.slider.setValue(20)  # as a drag ends: the blur at 0.20 becomes the background
    assert window.render_settings.background.kind is BackgroundKind.BLUR

    emitted = []
    gallery.background_chosen.connect(emitted.append)
    click_item(gallery, [spec.path for spec in gallery.specs()].index(picture))
    assert [spec.path for spec in emitted] == [picture]
    assert emitted[0].blur_strength == pytest.approx(0.2)
    assert window.render_settings.background == emitted[0]

    def engine_background():
        engine = window.session.engine  # None until the model has loaded
        return None if engine is None else engine.settings.background

    qtbot.waitUntil(lambda: engine_background() == emitted[0], timeout=10_000)
    window.close()

    again = open_window()
    assert again.gallery.current().path == picture  # the picture is selected again, strengths aside
    assert again.gallery.list_widget().currentItem().isSelected()
    assert again.render_settings.background.kind is kind
    assert again.render_settings.background.blur_strength == pytest.approx(0.2)
    assert again.gallery.blur_slider.value() == pytest.approx(0.2)
