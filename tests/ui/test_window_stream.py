"""The window while it streams: controls change the output, live background and source swaps, clean shutdown."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.engine.cameras import CameraInfo
from app.engine.events import EventKind
from app.engine.settings import BackgroundKind, SourceKind, SourceSpec
from app.ui import choose_source

pytestmark = pytest.mark.gui


def _mean(rgb: np.ndarray) -> np.ndarray:
    return rgb.reshape(-1, 3).astype(np.float64).mean(axis=0)


def test_window_opens_on_the_demo_clip_and_says_so_when_there_is_no_camera(open_window, qtbot, services, store):
    source, notice = choose_source(None, store.last_source(), services.list_cameras(), services.demo_clip())
    window = open_window(source, notice=notice)

    assert window.windowTitle() == "Greenroom"
    assert "No camera found" in window.banners.visible_text()
    qtbot.waitUntil(lambda: window.preview.frames_shown >= 3, timeout=10_000)
    assert window.preview.image is not None
    assert window.controls.in_use.text() == "in use: onnxruntime on cpu (float32)"
    qtbot.waitUntil(lambda: "demo-desk-960x540.mp4 (960x540" in window.source_panel.description.full_text())
    qtbot.waitUntil(lambda: window.status.fps.text() not in ("", "\N{EN DASH} fps"))
    assert "latency" in window.status.latency.text() and "dropped" in window.status.dropped.text()


def test_preview_draws_only_on_the_gui_thread_while_engine_threads_do_the_work(open_window, qtbot, frames):
    window = open_window()
    frames.fresh(window)
    names = {thread.name for thread in threading.enumerate()}
    assert {"greenroom-capture", "greenroom-render"} <= names
    assert window.session.engine.running
    qtbot.waitUntil(lambda: window.preview.frames_shown >= 2)


def test_colour_background_swaps_live_without_restarting_the_stream(open_window, services, frames):
    colours = iter([(255, 0, 0), (0, 0, 255)])
    window = open_window(services=dataclasses.replace(services, pick_color=lambda *_: next(colours)))
    window.controls.threshold.slider.setValue(90)  # keep little of the "person": the background dominates
    source_frame = frames.fresh(window)
    engine, render_thread = window.session.engine, window.session.engine._render_thread

    window.gallery.color_button.click()
    assert window.render_settings.background.color == (255, 0, 0)
    red = frames.fresh(window)
    window.gallery.color_button.click()
    blue = frames.fresh(window)

    assert np.abs(red.astype(int) - source_frame.astype(int)).mean() > 10  # the background really changed
    red_mean, blue_mean = _mean(red), _mean(blue)
    assert red_mean[0] - red_mean[2] > blue_mean[0] - blue_mean[2] + 20
    assert window.session.engine is engine and engine._render_thread is render_thread and engine.running
    frames.fresh(window)  # frames keep arriving after the swaps


def test_gallery_click_swaps_to_a_bundled_picture(open_window, frames, click_item):
    window = open_window()
    frames.fresh(window)
    row = next(i for i, spec in enumerate(window.gallery.specs()) if spec.kind is BackgroundKind.IMAGE)
    click_item(window.gallery, row)
    assert window.render_settings.background == window.gallery.specs()[row]
    assert window.session.engine.settings.background.kind is BackgroundKind.IMAGE
    frames.fresh(window)


def test_mask_view_shows_a_grey_mask_and_switches_back(open_window, qtbot, frames):
    window = open_window()
    qtbot.mouseClick(window.controls.mask_view, Qt.MouseButton.LeftButton)
    grey = frames.fresh(window)
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])
    assert window.render_settings.background.kind is BackgroundKind.BLUR  # the chosen background is kept

    qtbot.mouseClick(window.controls.mask_view, Qt.MouseButton.LeftButton)
    coloured = frames.fresh(window)
    assert not np.array_equal(coloured[..., 0], coloured[..., 2])


def test_mirror_flips_the_output(open_window, qtbot, frames):
    window = open_window()  # blur background: flat halves stay their colour whatever the mask
    before = frames.fresh(window)
    qtbot.mouseClick(window.controls.mirror, Qt.MouseButton.LeftButton)
    after = frames.fresh(window)
    edge = before.shape[1] // 8
    left_before, left_after = _mean(before[:, :edge]), _mean(after[:, :edge])
    assert left_before[0] > left_before[2] + 60  # reddish on the left
    assert left_after[2] > left_after[0] + 60  # bluish on the left once mirrored
    assert window.session.engine.settings.mirror


def test_threshold_and_quality_controls_change_the_output(open_window, qtbot, services, frames):
    window = open_window(services=dataclasses.replace(services, pick_color=lambda *_: (0, 255, 0)))
    window.gallery.color_button.click()
    window.controls.threshold.slider.setValue(5)
    low = frames.fresh(window)
    window.controls.threshold.slider.setValue(95)
    high = frames.fresh(window)
    green = np.array([0, 255, 0])
    assert np.abs(high - green).mean() < np.abs(low - green).mean() - 5  # a higher threshold shows more background
    assert window.session.engine.settings.threshold == pytest.approx(0.95)

    window.controls.quality.setCurrentIndex(window.controls.quality.findText("Quality"))
    qtbot.waitUntil(lambda: window.status.quality.text().startswith("quality:"), timeout=10_000)


def test_source_can_be_switched_while_streaming(open_window, qtbot, frames):
    window = open_window()
    first = frames.fresh(window)
    engine = window.session.engine
    window.source_panel.choose(SourceSpec(kind=SourceKind.TEST_PATTERN))
    qtbot.waitUntil(lambda: window.session.source_description.startswith("test pattern"), timeout=10_000)
    switched = frames.fresh(window)
    assert first.shape == (180, 320, 3) and switched.shape == (720, 1280, 3)
    assert window.session.engine is engine
    qtbot.waitUntil(lambda: "test pattern" in window.source_panel.description.full_text())
    assert not window.source_panel.size.isVisible()  # a camera format would not apply, so none is shown


def _unplayable_video(kind: str, folder: Path, good_clip: Path) -> Path:
    """A text file renamed .mp4, or the first 50,000 bytes of a real clip (a download cut short)."""
    path = folder / f"{kind}.mp4"
    if kind == "text":
        path.write_text("these are meeting notes, not a video\n")
    else:
        path.write_bytes(good_clip.read_bytes()[:50_000])
    return path


@pytest.mark.parametrize("kind", ["text", "truncated"])
def test_a_video_file_that_cannot_play_is_refused_and_the_stream_stays_on(
    open_window, qtbot, services, frames, still_source, tmp_path, kind
):
    bad = _unplayable_video(kind, tmp_path, services.demo_clip())
    window = open_window(services=dataclasses.replace(services, pick_video=lambda _: bad))
    frames.fresh(window)
    combo = window.source_panel.combo
    entries = [combo.itemText(index) for index in range(combo.count())]
    combo.activated.emit(entries.index("Video file\N{HORIZONTAL ELLIPSIS}"))

    qtbot.waitUntil(lambda: bad.name in window.banners.visible_text(), timeout=10_000)
    text = window.banners.visible_text()
    assert "pick another video" in text.lower() and "convert" in text.lower()
    assert window.banners.visible_banners()[-1].kind is EventKind.WARNING
    assert window.session.source == still_source  # never switched, so never retried
    assert window.source_panel.current_spec() == still_source
    assert [combo.itemText(index) for index in range(combo.count())] == entries
    assert combo.currentText() == still_source.label()
    frames.fresh(window)


def test_camera_picker_lists_cameras_by_name(open_window, services):
    cameras = [CameraInfo(0, "Integrated Webcam", "/dev/video0"), CameraInfo(2, "USB Camera", "/dev/video2")]
    window = open_window(services=dataclasses.replace(services, list_cameras=lambda: cameras))
    combo = window.source_panel.combo
    labels = [combo.itemText(index) for index in range(combo.count())]
    assert "Integrated Webcam (0)" in labels and "USB Camera (2)" in labels
    assert {"Demo clip", "Test pattern"} <= set(labels)
    combo.setCurrentIndex(labels.index("USB Camera (2)"))
    combo.activated.emit(labels.index("USB Camera (2)"))
    spec = window.source_panel.current_spec()
    assert (spec.camera, spec.width, spec.height, spec.fps) == (2, 1280, 720, 30.0)
    assert window.source_panel.size.isVisible() and window.source_panel.fps.isVisible()
    assert window.session.source == spec
    window.source_panel.size.setCurrentIndex(0)
    window.source_panel.size.activated.emit(0)  # ask the camera for 640x480 instead
    assert (window.session.source.camera, window.session.source.width, window.session.source.height) == (2, 640, 480)


def test_missing_camera_is_reported_and_retried_while_the_app_keeps_running(open_window, qtbot, frames, still_source):
    window = open_window()
    frames.fresh(window)
    window.source_panel.choose(SourceSpec(kind=SourceKind.CAMERA, camera=57))
    qtbot.waitUntil(lambda: "Camera 57 could not be opened" in window.banners.visible_text(), timeout=10_000)
    assert "retrying" in window.banners.visible_text()
    assert window.session.engine.running and window.isVisible()

    window.source_panel.choose(still_source)
    frames.fresh(window)
    assert "Camera 57" not in window.banners.visible_text()


def test_close_while_streaming_and_recording_stops_everything_within_two_seconds(open_window, qtbot, frames, tmp_path):
    window = open_window()
    frames.fresh(window)
    window.output_panel.record.click()
    assert window.outputs.sinks.recorder is not None
    path = window.outputs.sinks.recorder.path
    qtbot.wait(300)
    engine = window.session.engine

    started = time.monotonic()
    window.close()
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert not engine.running and window.outputs.sinks.recorder is None
    alive = {thread.name for thread in threading.enumerate() if thread.is_alive()}
    assert not alive & {"greenroom-capture", "greenroom-render", "greenroom-recorder", "greenroom-virtual-camera"}
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened() and capture.read()[0]
    capture.release()


def test_a_source_that_delivers_nothing_shows_no_signal_instead_of_the_last_frame(
    open_window, qtbot, frames, still_source, tmp_path
):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_text("not a video")
    window = open_window()
    frames.fresh(window)
    qtbot.waitUntil(lambda: window.preview.image is not None)

    window.source_panel.choose(SourceSpec(kind=SourceKind.VIDEO, path=corrupt))
    qtbot.waitUntil(lambda: "Cannot read video" in window.banners.visible_text(), timeout=10_000)
    qtbot.wait(600)  # frames of the old source still in the pipeline, and a status refresh
    assert window.preview.image is None and window.preview.signal_lost
    assert window.preview.placeholder.startswith("No picture from corrupt.mp4")
    assert "cannot read video" in window.preview.placeholder
    assert window.status.fps.text() == "\N{EN DASH} fps"  # no frame rate shown for a stream that is not there

    window.source_panel.choose(still_source)
    qtbot.waitUntil(lambda: window.preview.image is not None, timeout=10_000)
    assert not window.preview.signal_lost
    qtbot.waitUntil(lambda: window.status.fps.text() != "\N{EN DASH} fps", timeout=5_000)


def test_quitting_while_recording_asks_first_and_keeps_the_file(open_window, qtbot, frames, services):
    answers: list[bool] = [False, True]
    asked: list[str] = []

    def confirm(_parent, _title: str, question: str) -> bool:
        asked.append(question)
        return answers.pop(0)

    window = open_window(services=dataclasses.replace(services, confirm=confirm))
    frames.fresh(window)
    window.output_panel.record.click()
    path = window.outputs.sinks.recorder.path
    qtbot.waitUntil(lambda: window.outputs.sinks.recorder.frames_sent >= 5, timeout=10_000)
    window.window_actions.quit.trigger()  # answered No: nothing stops
    assert window.isVisible() and window.outputs.sinks.recorder is not None
    window.window_actions.quit.trigger()  # answered Yes
    assert not window.isVisible() and window.outputs.sinks.recorder is None
    assert len(asked) == 2 and "A recording is running" in asked[0]
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened() and capture.read()[0]
    capture.release()


def test_quitting_without_a_recording_does_not_ask(open_window, frames):
    window = open_window()  # its services raise if any dialog opens
    frames.fresh(window)
    window.window_actions.quit.trigger()
    assert not window.isVisible()


def test_the_dropped_frame_count_starts_again_with_a_new_source(open_window, qtbot, frames, monkeypatch):
    window = open_window()
    frames.fresh(window)
    measured = window.session.snapshot()
    engine_count = {"dropped": 7}  # the engine counts from its start, whatever the source
    monkeypatch.setattr(
        window.session, "snapshot", lambda: dataclasses.replace(measured, dropped=engine_count["dropped"])
    )
    qtbot.waitUntil(lambda: window.status.dropped.text() == "dropped 7")

    window.source_panel.choose(SourceSpec(kind=SourceKind.TEST_PATTERN))
    qtbot.waitUntil(lambda: window.session.source_description.startswith("test pattern"), timeout=10_000)
    qtbot.waitUntil(lambda: window.status.dropped.text() == "dropped 0")
    engine_count["dropped"] = 9
    qtbot.waitUntil(lambda: window.status.dropped.text() == "dropped 2")
