"""Virtual camera through pyvirtualcam's own backend registry, and the mp4 recorder."""

import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_fakes import FillingDisk

from app.engine.engine import OutputFrame
from app.engine.fitting import contain_fit
from app.engine.mp4_writer import VideoFileWriter
from app.engine.output_paths import SinkError, check_output_path
from app.engine.sinks import RecorderSink, VirtualCameraSink
from app.engine.slot import LatestSlot

pyvirtualcam = pytest.importorskip("pyvirtualcam", reason="the virtual camera tests need pyvirtualcam")


class RecordingBackend:
    """A pyvirtualcam backend (its documented duck-typed interface) that keeps what it was sent."""

    instances: list["RecordingBackend"] = []

    def __init__(self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw) -> None:
        self.width, self.height, self.fps, self.fourcc = width, height, fps, fourcc
        self.frames: list[np.ndarray] = []
        self.closed = False
        self._device = device or "/dev/video-test"
        RecordingBackend.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.closed = True

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> int | None:
        return None


class AbsentDeviceBackend(RecordingBackend):
    def __init__(self, **kw) -> None:
        raise RuntimeError("device /dev/video10 does not exist")


class SlowDeviceBackend(RecordingBackend):
    """A device whose driver takes 1.5 s per frame, and notes a ``close`` that arrives while a frame is being sent."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.sending = False
        self.closed_while_sending = False

    def send(self, frame: np.ndarray) -> None:
        self.sending = True
        time.sleep(1.5)
        super().send(frame)
        self.sending = False

    def close(self) -> None:
        self.closed_while_sending |= self.sending
        super().close()


_TEST_BACKENDS = {
    "greenroom-test": RecordingBackend,
    "greenroom-absent": AbsentDeviceBackend,
    "greenroom-slow": SlowDeviceBackend,
}


@pytest.fixture(autouse=True)
def registered_test_backends():
    for name, backend in _TEST_BACKENDS.items():
        pyvirtualcam.register_backend(name, backend)
    RecordingBackend.instances.clear()
    yield
    for name in _TEST_BACKENDS:
        pyvirtualcam.camera.BACKENDS.pop(name, None)


def _output(value: int, width: int = 64, height: int = 48) -> OutputFrame:
    return OutputFrame(np.full((height, width, 3), value, np.uint8), value, 0.0, 0.0, False)


def test_virtual_camera_receives_frames_at_a_steady_pace() -> None:
    slot: LatestSlot[OutputFrame] = LatestSlot()
    slot.put(_output(10))
    sink = VirtualCameraSink(slot, width=64, height=48, fps=50, backend="greenroom-test")
    assert sink.device == "/dev/video-test" and sink.backend == "greenroom-test"
    with sink:
        time.sleep(0.3)
        slot.put(_output(200, width=128, height=96))  # the source changed size: still fits the device
        time.sleep(0.3)
    backend = RecordingBackend.instances[0]
    assert backend.closed
    frames = backend.frames
    assert 20 <= len(frames) <= 40  # about 50 fps for 0.6 s, re-sending the last frame between new ones
    assert all(frame.size == 64 * 48 * 3 for frame in frames)
    values = [int(frame.reshape(-1)[0]) for frame in frames]
    assert values[0] == 10 and values[-1] == 200
    assert sink.new_frames_sent == 2 and sink.frames_sent == len(frames)
    sink.close()  # idempotent


def test_a_source_of_another_shape_is_fitted_without_stretching() -> None:
    """A 4:3 camera (80x60) into a 16:9 virtual camera (64x36): scaled to 48x36, centred on black side bars."""
    slot: LatestSlot[OutputFrame] = LatestSlot()
    slot.put(_output(200, width=80, height=60))
    with VirtualCameraSink(slot, width=64, height=36, fps=50, backend="greenroom-test"):
        time.sleep(0.1)
    frame = RecordingBackend.instances[0].frames[-1].reshape(36, 64, 3)
    assert (frame[:, 8:56] == 200).all()
    assert (frame[:, :8] == 0).all() and (frame[:, 56:] == 0).all()
    portrait = contain_fit(np.full((64, 36, 3), 50, np.uint8), 64, 36)  # a portrait frame gets bars at the sides too
    assert portrait.shape == (36, 64, 3) and portrait[:, 32].min() == 50 and portrait[:, 0].max() == 0
    assert contain_fit(_output(7).rgb, 32, 24).shape == (24, 32, 3)  # the same shape is scaled, no bars
    assert contain_fit(_output(7).rgb, 32, 24).min() == 7


def test_closing_waits_for_the_frame_being_sent_before_releasing_the_device() -> None:
    slot: LatestSlot[OutputFrame] = LatestSlot()
    slot.put(_output(10))
    sink = VirtualCameraSink(slot, width=64, height=48, fps=30, backend="greenroom-slow")
    sink.start()
    time.sleep(0.2)  # the first frame is now in the driver
    sink.close()
    backend = RecordingBackend.instances[0]
    assert backend.closed and not backend.closed_while_sending
    assert len(backend.frames) == 1


def test_absent_virtual_camera_is_a_clear_message() -> None:
    with pytest.raises(SinkError) as error:
        VirtualCameraSink(LatestSlot(), width=64, height=48, fps=30, backend="greenroom-absent")
    message = str(error.value)
    assert "no virtual camera available" in message and "/dev/video10 does not exist" in message
    if platform.system() == "Linux":
        assert "v4l2loopback" in message and "exclusive_caps=1" in message
    else:
        assert "OBS" in message


@pytest.mark.skipif(platform.system() != "Linux", reason="checks the real v4l2loopback backend of Linux")
def test_missing_loopback_device_on_linux_says_how_to_get_one() -> None:
    with pytest.raises(SinkError, match="modprobe v4l2loopback"):
        VirtualCameraSink(LatestSlot(), width=64, height=48, fps=30, device="/dev/video63", backend="v4l2loopback")


def test_recorder_writes_a_playable_mp4(tmp_path: Path) -> None:
    slot: LatestSlot[OutputFrame] = LatestSlot()
    slot.put(_output(120))
    path = tmp_path / "take.mp4"
    with RecorderSink(slot, path, width=64, height=48, fps=40):
        time.sleep(0.5)
    capture = cv2.VideoCapture(str(path))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape == (48, 64, 3) and abs(int(frame.mean()) - 120) < 6
    assert 12 <= count <= 26


def test_unwritable_or_wrong_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SinkError, match="does not exist"):
        VideoFileWriter(tmp_path / "missing" / "out.mp4", width=64, height=48, fps=30)
    with pytest.raises(SinkError, match=r"must be an \.mp4 file, got out\.avi"):
        VideoFileWriter(tmp_path / "out.avi", width=64, height=48, fps=30)
    (tmp_path / "folder.mp4").mkdir()
    with pytest.raises(SinkError, match=r"folder.mp4 is a folder; give an \.mp4 file in it"):
        check_output_path(tmp_path / "folder.mp4")
    with pytest.raises(SinkError, match="no output file given"):
        check_output_path(Path(""))
    assert list(tmp_path.iterdir()) == [tmp_path / "folder.mp4"]  # the write probe is gone again


@pytest.mark.skipif(platform.system() != "Linux", reason="/sys is Linux's")
def test_a_folder_nobody_may_write_is_named_as_such() -> None:
    with pytest.raises(SinkError, match=r"cannot write to the folder /sys \(Permission denied\); choose a folder"):
        check_output_path(Path("/sys/out.mp4"))


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_recording_cut_off_by_a_crash_still_plays(tmp_path: Path) -> None:
    """The process is killed (SIGKILL: nothing of ours runs) after 60 frames; all but the last fragment play."""
    result = _run_python(
        """
        import os, signal
        from pathlib import Path
        import numpy as np
        from app.engine.mp4_writer import VideoFileWriter
        writer = VideoFileWriter(Path("take.mp4"), width=160, height=120, fps=30, crash_safe=True)
        for index in range(60):
            writer.write(np.full((120, 160, 3), index * 4, np.uint8))
        os.kill(os.getpid(), signal.SIGKILL)
        """,
        tmp_path,
    )
    assert result.returncode == -9
    capture = cv2.VideoCapture(str(tmp_path / "take.mp4"))
    readable = 0
    while capture.read()[0]:
        readable += 1
    capture.release()
    assert readable >= 60 - 2 * 12  # up to one open fragment (12 frames) and the encoder's delay are lost


@pytest.mark.skipif(platform.system() == "Windows", reason="file size limits (RLIMIT_FSIZE) are POSIX")
def test_a_write_that_fails_stops_the_writer_with_a_message(tmp_path: Path) -> None:
    """The disk refusing more bytes (here a file size limit, as a quota or a full disk would) raises at once."""
    result = _run_python(
        """
        import resource, signal
        from pathlib import Path
        import numpy as np
        from app.engine.mp4_writer import VideoFileWriter
        from app.engine.output_paths import SinkError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
        writer = VideoFileWriter(Path("take.mp4"), width=320, height=240, fps=30, crash_safe=True)
        noise = np.random.default_rng(0).integers(0, 255, (200, 240, 320, 3), np.uint8)
        try:
            for index, frame in enumerate(noise):
                writer.write(frame)
        except SinkError as error:
            print(f"stopped at frame {index}: {error}")
        """,
        tmp_path,
    )
    assert "stopped at frame" in result.stdout, result.stdout + result.stderr
    assert "the disk may be full, read-only or removed" in result.stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full, where every write fails with ENOSPC")
def test_a_full_disk_is_named_in_words_and_the_file_once(tmp_path: Path) -> None:
    """A write refused for want of space says so, without the system's error number or the file named twice."""
    path = tmp_path / "take.mp4"
    path.symlink_to("/dev/full")  # a disk that is full from the first byte
    writer = VideoFileWriter(path, width=64, height=48, fps=30, crash_safe=True)
    with pytest.raises(SinkError) as error:
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.close(discard=True)
    assert str(error.value) == f"writing {path} failed: the disk is full; free some space or write somewhere else"


def test_odd_frame_sizes_are_written_at_the_nearest_even_size(tmp_path: Path) -> None:
    """YUV 4:2:0 needs even sides: a 65x49 source is written at 64x48, with its picture kept."""
    path = tmp_path / "odd.mp4"
    with VideoFileWriter(path, width=65, height=49, fps=25) as writer:
        for _ in range(5):
            writer.write(np.full((49, 65, 3), 200, np.uint8))
    capture = cv2.VideoCapture(str(path))
    ok, frame = capture.read()
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    assert ok and frame.shape == (48, 64, 3) and count == 5 and abs(float(frame.mean()) - 200) < 3


def test_discarded_writer_leaves_no_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "partial.mp4"
    writer = VideoFileWriter(path, width=64, height=48, fps=30)
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.close(discard=True)
    assert not path.exists()


def test_a_nearly_full_disk_is_refused_before_writing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.engine.mp4_writer.shutil.disk_usage", FillingDisk(0, free_after=5 * 2**20))
    with pytest.raises(SinkError, match=r"nearly full \(5 MB free\); free some space"):
        VideoFileWriter(tmp_path / "out.mp4", width=64, height=48, fps=30)
    assert not (tmp_path / "out.mp4").exists()


def test_a_disk_filling_up_stops_the_recorder_and_keeps_a_playable_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.engine.mp4_writer.shutil.disk_usage", FillingDisk(2))  # full after the first 30 frames
    events: list = []
    slot: LatestSlot[OutputFrame] = LatestSlot()
    slot.put(_output(120))
    path = tmp_path / "take.mp4"
    sink = RecorderSink(slot, path, width=64, height=48, fps=100, on_event=events.append)
    with sink:
        time.sleep(0.8)
    assert sink.failure is not None and "nearly full" in sink.failure
    assert any("recorder stopped" in event.message for event in events)
    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 30  # checked every 30 frames
    capture.release()


def test_a_device_that_fails_to_close_is_reported_not_raised() -> None:
    class FailingClose(RecordingBackend):
        def close(self) -> None:
            if not self.closed:  # only the first time: pyvirtualcam closes it again when it is collected
                self.closed = True
                raise RuntimeError("driver gone")

    pyvirtualcam.register_backend("greenroom-failing-close", FailingClose)
    events = []
    try:
        sink = VirtualCameraSink(
            LatestSlot(), width=64, height=48, fps=30, backend="greenroom-failing-close", on_event=events.append
        )
        sink.start()
        sink.close()
    finally:
        pyvirtualcam.camera.BACKENDS.pop("greenroom-failing-close", None)
    assert [event.message for event in events] == ["virtual-camera did not close cleanly: driver gone"]
