"""The window around the stream: banners, outputs, device, gallery files, shortcuts, persistence, start-up."""

from __future__ import annotations

import dataclasses
import platform
import re
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.engine.cameras import CameraInfo
from app.engine.events import EngineEvent, EventKind
from app.engine.settings import BackgroundKind, QualityMode, SourceKind, SourceSpec
from app.ui import MainWindow, SettingsStore, choose_source, run_gui
from app.ui.launcher import NO_CAMERA_NOTICE
from segmentation import WeightsError

pytestmark = pytest.mark.gui


def test_engine_errors_from_other_threads_show_as_banners_never_dialogs(open_window, qtbot, frames):
    window = open_window()
    frames.fresh(window)
    event = EngineEvent(EventKind.ERROR, "capture", "camera 0 stopped delivering frames: was it unplugged?")
    threading.Thread(target=window.bridge.post, args=(event,)).start()
    qtbot.waitUntil(lambda: "was it unplugged" in window.banners.visible_text())
    assert QApplication.activeModalWidget() is None
    frames.fresh(window)  # the stream goes on under the banner

    threading.Thread(target=window.bridge.post, args=(EngineEvent(EventKind.RECOVERED, "capture", "back"),)).start()
    qtbot.waitUntil(lambda: "unplugged" not in window.banners.visible_text())
    banner = window.banners.visible_banners()[-1]
    assert banner.kind is EventKind.RECOVERED
    banner.dismiss()
    assert window.banners.visible_banners() == [] or "back" not in window.banners.visible_text()


def test_a_background_file_that_breaks_mid_stream_becomes_a_warning_banner(open_window, qtbot, frames, tmp_path):
    picture = tmp_path / "beach.png"
    cv2.imwrite(str(picture), np.full((90, 160, 3), 180, np.uint8))
    window = open_window()
    window.gallery.add_files([picture])
    picture.unlink()  # gone between adding it and using it
    row = [spec.path for spec in window.gallery.specs()].index(picture.resolve())
    window.gallery.list_widget().setCurrentRow(row)
    qtbot.waitUntil(lambda: "beach.png was not found" in window.banners.visible_text(), timeout=10_000)
    assert "using blur 0.60 instead" in window.banners.visible_text()
    assert QApplication.activeModalWidget() is None
    frames.fresh(window)


def test_virtual_camera_unavailable_explains_how_to_get_one_and_switch_returns_off(open_window, qtbot, frames):
    window = open_window()
    frames.fresh(window)
    qtbot.mouseClick(window.output_panel.virtual_camera, Qt.MouseButton.LeftButton)
    assert "How to set one up" in window.output_panel.virtual_camera_state.text()
    explanation = window.output_panel.virtual_camera_state.toolTip()  # the link opens it too
    if platform.system() == "Linux":
        assert "v4l2loopback" in explanation and "exclusive_caps=1" in explanation
    else:
        assert "OBS" in explanation
    assert not window.output_panel.virtual_camera.isChecked()
    assert window.banners.visible_banners() == []  # the panel says it once; a banner would repeat it
    assert QApplication.activeModalWidget() is None
    frames.fresh(window)


def test_record_switch_writes_an_mp4_to_the_recordings_folder(open_window, qtbot, services, frames, tmp_path):
    opened = []
    window = open_window(services=dataclasses.replace(services, open_folder=opened.append))
    frames.fresh(window)
    window.window_actions.record.trigger()
    assert window.output_panel.record.isChecked()
    recording = window.output_panel.record_state.text()
    assert re.fullmatch(r"Recording 0:00 \N{EM DASH} greenroom-[-\d]+\.mp4", recording), recording
    assert window.output_panel.record_state.toolTip().startswith(str(tmp_path / "Videos"))  # the folder, on hover
    qtbot.waitUntil(lambda: window.outputs.sinks.recorder.frames_sent >= 10, timeout=10_000)
    qtbot.waitUntil(lambda: window.output_panel.record_state.text().startswith("Recording 0:01 "), timeout=5_000)
    window.window_actions.record.trigger()
    assert not window.output_panel.record.isChecked()
    [path] = (tmp_path / "Videos").glob("greenroom-*.mp4")
    state = window.output_panel.record_state
    shown = re.sub(r"<[^>]+>|\N{ZERO WIDTH SPACE}", "", state.text())  # the tags, and where the name may wrap
    assert shown == f"Saved {path.name} \N{EM DASH} Open folder"  # short: the name, not the whole path
    assert state.toolTip() == str(path)
    [link] = re.findall(r'href="([^"]+)"', state.text())
    state.linkActivated.emit(link)  # what a click on "Open folder" does
    assert opened == [path.parent]
    capture = cv2.VideoCapture(str(path))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) >= 10
    capture.release()


def test_recording_time_reads_as_minutes_and_seconds():
    from app.ui.output_control import duration_text

    assert [duration_text(seconds) for seconds in (0, 0.9, 42, 61, 3599, 3723)] == [
        "0:00",
        "0:00",
        "0:42",
        "1:01",
        "59:59",
        "1:02:03",
    ]


def _contrast(first: QColor, second: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(colour: QColor) -> float:
        channels = [value / 255 for value in (colour.red(), colour.green(), colour.blue())]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_open_folder_link_is_readable_on_the_dark_panel(open_window, tmp_path):
    window = open_window()
    window.output_panel.show_saved(tmp_path / "greenroom-20260101-120000.mp4")
    palette = window.output_panel.record_state.palette()
    background = palette.color(QPalette.ColorRole.Window)
    assert _contrast(palette.color(QPalette.ColorRole.Link), background) >= 4.5
    assert _contrast(palette.color(QPalette.ColorRole.LinkVisited), background) >= 4.5


def test_compute_device_shows_what_is_in_use_and_switches_off_the_gui_thread(
    open_window, qtbot, services, segmenter_factory, frames
):
    window = open_window()
    frames.fresh(window)
    combo = window.controls.device
    cuda_item = combo.model().item(combo.findData("cuda"))
    assert not cuda_item.isEnabled() and "No CUDA GPU" in cuda_item.toolTip()
    assert window.controls.in_use.text() == "in use: onnxruntime on cpu (float32)"

    segmenter_factory.cuda = True  # pretend a GPU appeared: the window must load and swap the model live
    window.controls.device_requested.emit("cuda")
    qtbot.waitUntil(lambda: len(segmenter_factory.calls) == 2)
    device, thread_name = segmenter_factory.calls[-1]
    assert device == "cuda" and thread_name != threading.main_thread().name
    frames.fresh(window)
    assert window.session.engine.running and window.preview.image is not None  # the picture never went away


def test_unavailable_saved_device_falls_back_to_the_cpu_with_a_warning(open_window, qtbot, store, segmenter_factory):
    store.save_device("cuda")
    window = open_window()
    qtbot.waitUntil(lambda: window.session.streaming, timeout=10_000)
    assert [device for device, _ in segmenter_factory.calls] == ["cuda", "cpu"]
    assert "using the CPU instead" in window.banners.visible_text()
    assert window.controls.device.currentData() == "cpu"


def test_model_that_cannot_load_is_a_banner_and_the_window_stays_usable(open_window, qtbot, segmenter_factory):
    segmenter_factory.error = WeightsError("model file missing; reinstall")
    window = open_window()
    qtbot.waitUntil(lambda: "model file missing; reinstall" in window.banners.visible_text(), timeout=10_000)
    assert not window.session.streaming and QApplication.activeModalWidget() is None
    window.controls.mirror.click()
    window.window_actions.next_background.trigger()
    window.output_panel.virtual_camera.click()
    assert "no picture yet" in window.output_panel.virtual_camera_state.text()
    assert window.close()


def _drag(target, mime: QMimeData, event_type: type[QDropEvent]) -> QDropEvent:
    """Send a drag-enter or drop event carrying ``mime`` as a file manager would."""
    event = event_type(
        QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    event.setAccepted(False)
    QApplication.sendEvent(target, event)
    return event


def test_dropping_files_on_the_gallery_adds_thumbnails_and_uses_the_last_one(open_window, qtbot, frames, tmp_path):
    picture, clip, junk = tmp_path / "office.png", tmp_path / "waves.mp4", tmp_path / "broken.jpg"
    cv2.imwrite(str(picture), np.full((120, 200, 3), (40, 200, 90), np.uint8))
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 96))
    for value in range(5):
        writer.write(np.full((96, 160, 3), 40 * value, np.uint8))
    writer.release()
    junk.write_bytes(b"not a picture")
    window = open_window()
    frames.fresh(window)
    viewport = window.gallery.list_widget().viewport()
    text_file = QMimeData()
    text_file.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    assert not _drag(viewport, text_file, QDragEnterEvent).isAccepted()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in (picture, junk, clip)])
    assert _drag(viewport, mime, QDragEnterEvent).isAccepted()
    assert _drag(viewport, mime, QDropEvent).isAccepted()

    assert window.gallery.user_files() == [picture.resolve(), clip.resolve()]
    items = [window.gallery.list_widget().item(row) for row in range(window.gallery.list_widget().count())]
    assert all(not item.icon().isNull() for item in items)
    assert window.render_settings.background.kind is BackgroundKind.VIDEO
    assert "broken.jpg" in window.banners.visible_text()
    frames.fresh(window)


def test_keyboard_shortcuts_drive_the_common_actions(open_window, qtbot):
    window = open_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    first = window.render_settings.background
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert window.render_settings.background != first
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.render_settings.background == first
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert window.controls.mirror.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert window.controls.mask_view.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert window.controls.only_me.isChecked() and window.render_settings.only_me
    assert "O" in window.shortcut_hint.text() and "Only me" in window.shortcut_hint.text()
    qtbot.waitUntil(
        lambda: "locked" in window.controls.lock_state.text() or "searching" in window.controls.lock_state.text()
    )
    qtbot.keyClick(window, Qt.Key.Key_V)  # no virtual camera here: the switch says why and stays off
    assert window.output_panel.virtual_camera_state.text() != "Off"
    assert not window.output_panel.virtual_camera.isChecked()
    assert "Ctrl+Q" in window.shortcut_hint.text() and "(M)" in window.controls.mirror.toolTip()
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: any(widget.windowTitle() == "Keyboard shortcuts" for widget in _visible_windows()))
    assert QApplication.activeModalWidget() is None  # the help window does not block the stream
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible())


def _visible_windows() -> list:
    return [widget for widget in QApplication.topLevelWidgets() if widget.isVisible()]


def test_add_button_and_video_file_entry_use_the_pickers(open_window, qtbot, services, frames, still_clip, tmp_path):
    picture = tmp_path / "garden.jpg"
    cv2.imwrite(str(picture), np.full((72, 128, 3), 90, np.uint8))
    pickers = dataclasses.replace(services, pick_background_files=lambda _: [picture], pick_video=lambda _: still_clip)
    window = open_window(services=pickers)
    window.gallery.add_button.click()
    assert window.render_settings.background.path == picture.resolve()

    combo = window.source_panel.combo
    window.source_panel.choose(SourceSpec(kind=SourceKind.TEST_PATTERN))
    combo.activated.emit(combo.count() - 1)  # "Video file...": checked off the GUI thread, then chosen
    qtbot.waitUntil(lambda: window.source_panel.current_spec().path == still_clip)
    qtbot.waitUntil(lambda: "still.mp4" in window.session.source_description, timeout=10_000)
    frames.fresh(window)


def test_settings_persist_between_runs(open_window, qtbot, store, services, frames):
    window = open_window()
    window.resize(960, 700)
    window.controls.mirror.click()
    window.controls.threshold.slider.setValue(70)
    window.controls.quality.setCurrentIndex(window.controls.quality.findData(QualityMode.QUALITY))
    window.controls.mask_view.click()
    window.controls.only_me.click()
    porch = next(spec for spec in window.gallery.specs() if spec.path is not None and spec.path.stem == "porch")
    window.gallery.select(porch)
    window.gallery.background_chosen.emit(porch)
    window.source_panel.choose(SourceSpec(kind=SourceKind.TEST_PATTERN))
    chosen = window.render_settings
    window.close()

    again = open_window()
    assert again.render_settings == chosen
    assert again.gallery.current() == porch and again.controls.mask_view.isChecked()
    assert again.controls.mirror.isChecked() and again.controls.threshold.value() == pytest.approx(0.7)
    assert again.controls.only_me.isChecked() and again.render_settings.only_me
    assert store.last_source().kind is SourceKind.TEST_PATTERN
    assert again.height() == 700  # the width is fitted to the offscreen screen, 800 px: less than the window needs
    qtbot.waitUntil(lambda: again.session.streaming, timeout=10_000)
    assert again.session.engine.settings.background.kind is BackgroundKind.NONE  # the mask view is back on


def test_backgrounds_that_went_missing_are_reported_and_kept_for_their_return(open_window, store, tmp_path):
    """A gallery on a drive that is not plugged in: say so at start-up, and keep the entries in the settings."""
    beach, city = tmp_path / "beach.png", tmp_path / "city.png"
    for picture in (beach, city):
        cv2.imwrite(str(picture), np.full((90, 160, 3), 120, np.uint8))
    window = open_window()
    window.gallery.add_files([beach, city])
    chosen = next(spec for spec in window.gallery.specs() if spec.path is not None and spec.path.name == "beach.png")
    window.gallery.select(chosen)
    window.gallery.background_chosen.emit(chosen)
    window.close()
    moved = tmp_path / "away"
    moved.mkdir()
    for picture in (beach, city):
        picture.rename(moved / picture.name)

    again = open_window()
    text = again.banners.visible_text()
    assert "Your background beach.png was not found" in text and "using blur" in text
    assert again.gallery.current().kind is BackgroundKind.BLUR
    assert [path.name for path in store.missing_user_backgrounds()] == ["beach.png", "city.png"]
    again.close()
    assert [path.name for path in store.missing_user_backgrounds()] == ["beach.png", "city.png"]  # not forgotten

    for picture in (beach, city):
        (moved / picture.name).rename(picture)
    back = open_window()
    assert {path.name for path in back.gallery.user_files()} == {"beach.png", "city.png"}
    assert "not found" not in back.banners.visible_text()


def test_missing_gallery_files_alone_get_a_short_notice(open_window, store, tmp_path):
    store.save_user_backgrounds([tmp_path / "gone.png"])
    window = open_window()
    assert "gone.png is no longer in the gallery" in window.banners.visible_text()


def test_recordings_started_in_the_same_second_get_their_own_files(tmp_path):
    from app.engine.outputs import recording_path

    now = 1_790_000_000.0
    names = [recording_path(tmp_path, now).name for _ in range(3)]
    stamp = names[0].removeprefix("greenroom-").removesuffix(".mp4")
    assert names == [f"greenroom-{stamp}.mp4", f"greenroom-{stamp}-2.mp4", f"greenroom-{stamp}-3.mp4"]
    assert all((tmp_path / name).is_file() for name in names)  # claimed, so another window cannot take them


def test_a_second_window_on_the_same_settings_does_not_save_over_the_first(open_window, store, tmp_path):
    from PySide6.QtCore import QSettings

    assert store.claim() and not store.read_only
    second = SettingsStore(QSettings(str(tmp_path / "greenroom.ini"), QSettings.Format.IniFormat))
    assert not second.claim() and second.read_only
    window = open_window(store=second)
    window.controls.mirror.click()
    window.close()
    assert not store.render_settings().mirror  # the first window's settings are as they were


def test_start_up_source_choice():
    demo = Path("demo.mp4")
    webcam = SourceSpec(kind=SourceKind.CAMERA, camera=2, width=640, height=480)
    cameras = [CameraInfo(0, "Built-in", "/dev/video0"), CameraInfo(2, "USB", "/dev/video2")]
    assert choose_source("1", webcam, cameras, demo) == (SourceSpec(kind=SourceKind.CAMERA, camera=1), "")
    assert choose_source("clip.mp4", None, [], demo)[0].path == Path("clip.mp4")
    assert choose_source(None, webcam, cameras, demo) == (webcam, "")
    first, notice = choose_source(None, webcam, cameras[:1], demo)
    assert (first.camera, first.width) == (0, 640) and "not connected" in notice
    assert choose_source(None, None, cameras, demo) == (SourceSpec(kind=SourceKind.CAMERA, camera=0), "")
    assert choose_source(None, webcam, [], demo) == (SourceSpec(kind=SourceKind.VIDEO, path=demo), NO_CAMERA_NOTICE)


def _three_frame_clip(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 48))
    for level in (0, 100, 200):
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    return path


def test_the_last_video_file_picked_is_opened_again_while_it_is_there(tmp_path: Path) -> None:
    demo = tmp_path / "demo.mp4"
    talk = _three_frame_clip(tmp_path / "talk.mp4")
    cameras = [CameraInfo(0, "Built-in", "/dev/video0")]
    saved = SourceSpec(kind=SourceKind.VIDEO, path=talk)
    assert choose_source(None, saved, cameras, demo) == (saved, "")  # chosen over the camera, as it was last time
    assert choose_source(None, saved, [], demo) == (saved, "")
    assert choose_source("0", saved, cameras, demo)[0].kind is SourceKind.CAMERA  # --source still wins
    talk.unlink()
    assert choose_source(None, saved, cameras, demo) == (SourceSpec(kind=SourceKind.CAMERA, camera=0), "")
    demo.write_bytes(b"the demo clip")  # the demo clip, shown when there was no camera, is not a choice to repeat
    shown = SourceSpec(kind=SourceKind.VIDEO, path=demo)
    assert choose_source(None, shown, cameras, demo) == (SourceSpec(kind=SourceKind.CAMERA, camera=0), "")
    assert choose_source(None, shown, [], demo) == (shown, NO_CAMERA_NOTICE)


def test_a_saved_video_damaged_since_falls_back_and_says_why(tmp_path: Path) -> None:
    """It was opened at every start and failed there; now the window starts on the camera or the demo clip."""
    demo = _three_frame_clip(tmp_path / "demo.mp4")
    talk = tmp_path / "talk.mp4"
    talk.write_bytes(b"not a video any more")
    saved = SourceSpec(kind=SourceKind.VIDEO, path=talk)
    source, notice = choose_source(None, saved, [], demo)
    assert source == SourceSpec(kind=SourceKind.VIDEO, path=demo)
    assert "The last video could not be opened (cannot read video" in notice and "showing video demo.mp4" in notice
    camera, notice = choose_source(None, saved, [CameraInfo(0, "Built-in", "/dev/video0")], demo)
    assert camera == SourceSpec(kind=SourceKind.CAMERA, camera=0) and "showing camera 0" in notice


def test_without_a_display_greenroom_says_so_and_exits_2(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert run_gui(None) == 2
    assert capsys.readouterr().err.strip() == (
        "greenroom: no display found: run under a desktop session, or use `greenroom stream` headless"
    )


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_closes_the_window_the_normal_way(tmp_path, random_model_spec, stop_signal):
    """``kill`` or a closed terminal: the window closes as with Ctrl+Q (settings saved, exit code 0)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    if not hasattr(signal, stop_signal):
        pytest.skip(f"{stop_signal} does not exist on this platform")
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "GREENROOM_MODEL": str(random_model_spec),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--source", "test"], env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(6)  # the window is up and streaming
        assert process.poll() is None, process.communicate()[1]
        process.send_signal(getattr(signal, stop_signal))
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    saved = list((tmp_path / "config").rglob("*.ini")) + list((tmp_path / "config").rglob("*.conf"))
    assert saved and any("test" in path.read_text() for path in saved), saved


def test_missing_source_file_exits_2_with_one_line(capsys):
    assert run_gui("no-such-clip.mp4") == 2
    assert "video file not found: no-such-clip.mp4" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "expected"),
    [("photo.jpg", "is a still image, not a video"), ("clip.mp4", "cannot read video"), ("", "is a folder")],
)
def test_a_source_file_that_cannot_be_used_exits_2_with_one_line(capsys, tmp_path, name, expected):
    if name:
        (tmp_path / name).write_text("not media")
    assert run_gui(str(tmp_path / name)) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]


def test_window_can_be_built_with_defaults_for_settings(qtbot, tmp_path, services, still_source):
    """A fresh store (first run) gives the default controls and the blur background."""
    from PySide6.QtCore import QSettings

    fresh = SettingsStore(QSettings(str(tmp_path / "first-run.ini"), QSettings.Format.IniFormat))
    window = MainWindow(fresh, still_source, services=services)
    qtbot.addWidget(window)
    assert window.render_settings.background.kind is BackgroundKind.BLUR
    assert window.controls.threshold.value() == pytest.approx(0.5)


def test_arrow_keys_move_a_focused_slider_and_switch_backgrounds_elsewhere(open_window, qtbot):
    window = open_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    first = window.render_settings.background
    for unit_slider in (window.controls.threshold, window.controls.feather, window.controls.smoothing):
        slider = unit_slider.slider
        slider.setFocus()
        qtbot.waitUntil(slider.hasFocus)
        before = slider.value()
        qtbot.keyClick(slider, Qt.Key.Key_Right)
        assert slider.value() == before + slider.singleStep()
        qtbot.keyClick(slider, Qt.Key.Key_Left)
        assert slider.value() == before
        assert window.render_settings.background == first  # the slider kept its keys
    blur = window.gallery.blur_slider.slider
    blur.setFocus()
    qtbot.waitUntil(blur.hasFocus)
    qtbot.keyClick(blur, Qt.Key.Key_Left)
    assert window.render_settings.background.kind is BackgroundKind.BLUR  # moving it uses the blur, as a drag does
    assert window.gallery.blur_slider.value() == pytest.approx(0.59)

    gallery = window.gallery.list_widget()
    gallery.setFocus()
    qtbot.waitUntil(gallery.hasFocus)
    qtbot.keyClick(gallery, Qt.Key.Key_Right)  # anywhere else the arrows still switch the background
    assert window.render_settings.background != first


def _wheel(widget, steps: int) -> None:
    """Turn the mouse wheel ``steps`` notches (negative: towards the user) over the middle of ``widget``."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        widget.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_past_settings_and_changes_them_only_once_clicked(open_window, qtbot):
    window = open_window()
    quality, threshold = window.controls.quality, window.controls.threshold.slider
    before = (quality.currentIndex(), threshold.value())
    _wheel(quality, -1)
    _wheel(threshold, 3)
    assert (quality.currentIndex(), threshold.value()) == before  # passing over them on the way down the panel
    threshold.setFocus()
    qtbot.waitUntil(threshold.hasFocus)
    _wheel(threshold, 3)
    assert threshold.value() != before[1]  # a focused slider still takes the wheel


def test_a_click_on_the_picture_gives_the_arrow_keys_back_to_the_backgrounds(open_window, qtbot):
    window = open_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    slider = window.controls.threshold.slider
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus)
    qtbot.mouseClick(window.preview, Qt.MouseButton.LeftButton)
    assert window.preview.hasFocus()
    first = window.render_settings.background
    qtbot.keyClick(window.preview, Qt.Key.Key_Right)
    assert window.render_settings.background != first
