"""Inputs that used to end in a traceback, a wrong message or gigabytes of memory: thin pictures and videos, huge
and float pictures, file names too long for the file system, FIFOs, sound-only videos, failing sources."""

from __future__ import annotations

import os
import resource
import struct
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from engine_fakes import FakeCamera
from PIL import Image

from app.cli import main
from app.engine.backgrounds import ImageBackground, VideoBackground
from app.engine.capture import CaptureThread
from app.engine.events import EngineEvent, EventKind
from app.engine.fitting import cover_fit
from app.engine.pictures import PictureError, read_picture_layers
from app.engine.settings import SourceKind, SourceSpec
from app.engine.slot import LatestSlot
from app.engine.sources import SourceError

LONG_NAME = "a" * 256


@pytest.fixture(autouse=True)
def random_model(monkeypatch: pytest.MonkeyPatch, random_model_spec: Path) -> None:
    monkeypatch.setenv("GREENROOM_MODEL", str(random_model_spec))


def _peak_rss_bytes() -> int:
    """This process's peak resident memory so far (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@pytest.mark.parametrize(("picture_size", "frame_size"), [((3840, 1), (640, 360)), ((1, 3840), (1280, 720))])
def test_a_thin_picture_is_fitted_within_the_frame_s_memory(tmp_path: Path, picture_size, frame_size) -> None:
    """A 98-byte 1x3840 PNG took 4.85 GB at 640x360 and an 18 GB allocation at 720p: the whole strip was scaled to
    cover the frame before cropping."""
    path = tmp_path / "strip.png"
    Image.new("RGB", picture_size, (10, 200, 30)).save(path)
    before = _peak_rss_bytes()
    width, height = frame_size
    rendered = ImageBackground(path).render(np.zeros((height, width, 3), np.uint8))
    assert rendered.shape == (height, width, 3) and (rendered == (10, 200, 30)).all()
    assert _peak_rss_bytes() - before < 200 * 2**20


def test_a_thin_video_is_fitted_within_the_frame_s_memory(tmp_path: Path) -> None:
    """A 2x720 background video allocated 442 MB a frame."""
    path = tmp_path / "thin.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=30)
        stream.width, stream.height, stream.pix_fmt = 2, 720, "yuv444p"
        for level in (40, 80, 120):
            frame = av.VideoFrame.from_ndarray(np.full((720, 2, 3), level, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    background = VideoBackground(path)
    before = _peak_rss_bytes()
    for _ in range(4):
        assert background.render(np.zeros((720, 1280, 3), np.uint8)).shape == (720, 1280, 3)
    background.close()
    assert _peak_rss_bytes() - before < 100 * 2**20


@pytest.mark.parametrize(("source", "target"), [((400, 300), (1280, 720)), ((1920, 1080), (640, 480))])
def test_cover_fit_keeps_the_centre_and_the_aspect(source, target) -> None:
    width, height = source
    picture = np.zeros((height, width, 3), np.uint8)
    cv2.circle(picture, (width // 2, height // 2), min(width, height) // 4, (255, 255, 255), -1)
    fitted = cover_fit(picture, *target)
    ys, xs = np.nonzero(fitted[:, :, 0] > 127)
    scale = max(target[0] / width, target[1] / height)
    assert abs((xs.max() - xs.min()) - (ys.max() - ys.min())) <= 2  # still round
    assert abs((xs.max() - xs.min()) - 2 * (min(width, height) // 4) * scale) <= 3
    assert (
        abs((xs.max() + xs.min()) / 2 - target[0] / 2) <= 1.5 and abs((ys.max() + ys.min()) / 2 - target[1] / 2) <= 1.5
    )


def _bmp_header_only(path: Path, width: int, height: int) -> Path:
    """A BMP whose header announces width x height (no pixels follow): enough for Pillow's size checks."""
    dib = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    path.write_bytes(b"BM" + struct.pack("<IHHI", 64, 0, 0, 54) + dib + bytes(10))
    return path


@pytest.mark.parametrize(("width", "height"), [(15000, 12000), (14000, 14000), (40000, 40000)])
def test_a_picture_over_the_limit_is_too_large_not_damaged(tmp_path: Path, width: int, height: int) -> None:
    """Pictures of 179-200 megapixels were "damaged or not a picture": Pillow's bomb check fired first."""
    with pytest.raises(PictureError, match=r"too large.*use a picture of at most 178 megapixels"):
        read_picture_layers(_bmp_header_only(tmp_path / "big.bmp", width, height))


def test_a_float_tiff_is_shown_not_black(tmp_path: Path) -> None:
    path = tmp_path / "float.tif"
    ramp = np.tile(np.linspace(0.0, 1.0, 256, dtype=np.float32), (64, 1))
    Image.fromarray(ramp, "F").save(path)
    rgb, opacity = read_picture_layers(path)
    assert opacity is None and rgb[:, 0].max() <= 1 and rgb[:, -1].min() >= 254
    assert abs(int(rgb[0, 128, 0]) - 128) <= 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["process", "{clip}", "{tmp}/" + LONG_NAME + ".mp4"],
        ["process", "{tmp}/" + LONG_NAME + ".mp4", "{tmp}/out.mp4"],
        ["process", "{clip}", "{tmp}/out.mp4", "--background", "{tmp}/" + LONG_NAME + ".png"],
        ["stream", "--source", "{tmp}/" + LONG_NAME + ".mp4", "--duration", "1"],
        ["stream", "--source", "test", "--record", "{tmp}/" + LONG_NAME + ".mp4", "--duration", "1"],
        ["process", "{clip}", "{tmp}/out.mp4", "--model", "{tmp}/" + LONG_NAME + ".json"],
    ],
    ids=["output", "input", "background", "source", "record", "model"],
)
def test_a_file_name_too_long_for_the_file_system_is_one_line(capsys, short_clip, tmp_path, arguments) -> None:
    code = main([argument.format(clip=short_clip, tmp=tmp_path) for argument in arguments])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("greenroom: ")
    assert ("name is too long" in err) or ("cannot be read (File name too long)" in err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
@pytest.mark.parametrize(
    "arguments",
    [
        ["process", "{fifo}", "{tmp}/out.mp4"],
        ["process", "{clip}", "{tmp}/out.mp4", "--background", "{fifo}"],
        ["stream", "--source", "{fifo}", "--duration", "1"],
        ["process", "{clip}", "{fifo}"],
    ],
    ids=["input", "background", "source", "output"],
)
def test_a_fifo_is_not_called_missing(capsys, short_clip, tmp_path, arguments) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    code = main([argument.format(clip=short_clip, tmp=tmp_path, fifo=fifo) for argument in arguments])
    err = capsys.readouterr().err
    assert code == 2 and "is not a regular file but a pipe, a device or a socket" in err and "not found" not in err


def test_a_sound_only_input_is_called_so(capsys, tmp_path: Path) -> None:
    path = tmp_path / "talk.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        for index in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 48000, index * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    code = main(["process", str(path), str(tmp_path / "out.mp4")])
    assert code == 2 and "it holds only sound, no video" in capsys.readouterr().err


def test_a_video_without_a_video_track_is_called_so(capsys, tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 48)).release()  # no frame written
    code = main(["process", str(path), str(tmp_path / "out.mp4")])
    assert code == 2 and "it holds no video track" in capsys.readouterr().err


def test_a_source_that_opens_and_fails_at_once_is_reported_once() -> None:
    """A damaged file or a camera that gives no frames: opened, failed, retried every 2 s; the same error (and an
    "is back" that was not true) came every time."""
    events: list[EngineEvent] = []
    openings = 0

    def opener(spec: SourceSpec) -> FakeCamera:
        nonlocal openings
        openings += 1
        return FakeCamera(frames_before_unplug=0 if openings < 8 else -1)

    capture = CaptureThread(
        SourceSpec(kind=SourceKind.CAMERA, camera=0),
        LatestSlot(),
        events.append,
        mirror=lambda: False,
        retry_seconds=0.02,
        opener=opener,
    )
    capture.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(event.kind is EventKind.RECOVERED for event in events):
        time.sleep(0.01)
    capture.stop()
    capture.join(2)
    kinds = [event.kind for event in events]
    assert openings >= 8
    assert kinds == [EventKind.INFO, EventKind.ERROR, EventKind.RECOVERED], [event.message for event in events]


def test_a_video_that_cannot_seek_back_is_opened_again_to_loop(tmp_path: Path, monkeypatch) -> None:
    from app.engine import sources

    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (64, 48))
    for level in (0, 80, 160):
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    source = sources.VideoFileSource(path, loop=True)

    class NoSeek:
        """Wraps a capture whose seek is ignored, as in some damaged files."""

        def __init__(self, capture) -> None:
            self._capture = capture

        def set(self, *_: object) -> bool:
            return False

        def __getattr__(self, name: str):
            return getattr(self._capture, name)

    source._capture = NoSeek(source._capture)
    levels = [int(source.read().rgb.mean()) for _ in range(7)]
    assert len(levels) == 7  # it looped instead of raising "cannot rewind"
    source.close()
    with pytest.raises(SourceError):
        sources.VideoFileSource(tmp_path / "gone.mp4", loop=True)


def _png_header_only(path: Path, width: int, height: int, bit_depth: int, colour_type: int) -> Path:
    """A PNG whose header announces the size and depth (no image data): enough for Pillow's checks."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = chunk(b"IDAT", zlib.compress(b"\0" * 64))  # the start of the pixels: Pillow plans its decoding from it
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + data + chunk(b"IEND", b""))
    return path


def test_a_deep_picture_under_the_pixel_limit_is_still_too_large_to_decode(tmp_path: Path) -> None:
    """A 169-megapixel 16-bit RGBA PNG of 1.3 MB passed the pixel limit and took 2.6 GB and 30 s to decode."""
    deep = _png_header_only(tmp_path / "deep.png", 13000, 13000, 16, 6)
    with pytest.raises(PictureError, match=r"too large to decode .*save it with 8 bits a channel"):
        read_picture_layers(deep)
    shallow = _png_header_only(tmp_path / "shallow.png", 13000, 13000, 8, 2)  # passes the checks, then is cut short
    with pytest.raises(PictureError, match="damaged"):
        read_picture_layers(shallow)


def test_a_video_with_frames_larger_than_8k_is_refused_before_decoding(capsys, short_clip, tmp_path, monkeypatch):
    """A 1.6 MB 16000x16000 video took 11.5 GB before failing; its size is in the header, read before any frame.
    (The limit is lowered here so that a small clip stands for the large one.)"""
    from app.engine import sources

    monkeypatch.setattr(sources, "MAX_VIDEO_PIXELS", 320 * 180 - 1)
    code = main(["process", str(short_clip), str(tmp_path / "out.mp4")])
    assert code == 2 and "its frames are 320x180; Greenroom takes videos of up to 7680x4320" in capsys.readouterr().err
    code = main(["process", str(short_clip), str(tmp_path / "out.mp4"), "--background", str(short_clip)])
    assert code == 2 and "its frames are 320x180" in capsys.readouterr().err


def test_a_stalled_model_does_not_hold_the_program_open_at_exit(tmp_path: Path) -> None:
    """The guard's ThreadPoolExecutor thread was joined at exit: a model stuck for 40 s kept ``stream`` open 33 s
    after its duration, and after Ctrl+C."""
    import subprocess

    script = (
        "import time\n"
        "from app.engine.guard import SegmentationGuard, SegmentationError\n"
        "guard = SegmentationGuard(timeout=0.1)\n"
        "try:\n"
        "    guard.run(lambda: time.sleep(60))\n"
        "except SegmentationError as error:\n"
        "    print(error)\n"
        "guard.close()\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90)
    assert "stalled" in done.stdout and time.monotonic() - started < 20


def test_onnx_runtime_s_own_log_lines_stay_off_the_console(capfd, short_clip, tmp_path) -> None:
    """A graph ONNX Runtime refuses printed two coloured log lines of its own before Greenroom's one line."""
    import hashlib
    import json

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    shape = numpy_helper.from_array(np.array([1, 1, 144, 256], np.int64), "shape")
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["rgb"], ["grey"], axes=[1], keepdims=1),
            helper.make_node("Constant", [], ["fixed"], value=shape),
            helper.make_node("Reshape", ["grey", "fixed"], ["logits"]),  # fails for any other batch or size
        ],
        "fixed-shape",
        [helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1, "H", "W"])],
    )
    onnx_path = tmp_path / "fixed.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(onnx_path))
    (tmp_path / "fixed.safetensors").write_bytes(b"unused")
    spec = {
        "name": "fixed",
        "architecture": {"backbone": "efficientnet_lite0"},
        "weights_file": "fixed.safetensors",
        "weights_sha256": hashlib.sha256(b"unused").hexdigest(),
        "onnx_file": onnx_path.name,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
    }
    (tmp_path / "fixed.json").write_text(json.dumps(spec), encoding="utf-8")
    code = main(["process", str(short_clip), str(tmp_path / "out.mp4"), "--model", str(tmp_path / "fixed.json")])
    err = capfd.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "fails on a test frame" in err and "\x1b[" not in err


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="needs chattr, as root, on Linux")
def test_an_output_that_may_not_be_changed_is_refused_before_the_run(capsys, short_clip, tmp_path) -> None:
    """``process`` encoded the whole clip, then named its hidden file; ``stream --record`` claimed to have kept what
    it recorded in the untouched file."""
    import subprocess

    locked = tmp_path / "locked.mp4"
    locked.write_bytes(b"an earlier result")
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not take the immutable flag")
    try:
        for arguments in (
            ["process", str(short_clip), str(locked)],
            ["stream", "--source", "test", "--record", str(locked), "--duration", "1"],
        ):
            code = main(arguments)
            err = capsys.readouterr().err
            assert code == 2 and "the file exists and may not be changed; choose another name" in err
            assert err.count("\n") == 1 and "partial" not in err
    finally:
        subprocess.run(["chattr", "-i", str(locked)], capture_output=True)
    assert locked.read_bytes() == b"an earlier result"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--background", "{tmp}/nope\x1b[2J.png"], "nope\\x1b[2J.png"),
        (["--model", ""], "it is empty: give a file"),
        (["--model", "{tmp}"], "is not a file (a folder, a device or a pipe); give the model's .json file"),
        (["--model", "{tmp}/model.onnx"], "is not a model description (a .json file)"),
    ],
    ids=["escape in a name", "empty model", "folder as model", "onnx as model"],
)
def test_odd_names_and_model_paths_give_one_clean_line(capsys, short_clip, tmp_path, arguments, message) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a description")
    try:
        code = main(
            ["process", str(short_clip), str(tmp_path / "out.mp4"), *(a.format(tmp=tmp_path) for a in arguments)]
        )
    except SystemExit as stop:  # argparse's own refusals end the process the same way
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err and "\x1b" not in err


def test_a_spec_number_of_thousands_of_digits_is_named_as_such(tmp_path: Path) -> None:
    from segmentation import WeightsError
    from segmentation.weights import load_spec

    spec = tmp_path / "huge.json"
    spec.write_text('{"pixel_budget": ' + "9" * 5000 + "}", encoding="utf-8")
    with pytest.raises(WeightsError, match="a number of 5000 digits") as error:
        load_spec(spec)
    assert "set_int_max_str_digits" not in str(error.value)
