"""Offline processing: every frame, same size and fps; failures leave no partial file."""

import dataclasses
import threading
import time
from pathlib import Path

import cv2
import pytest
from engine_fakes import FillingDisk, odd_sized_clip, write_clip

from app.engine.mp4_writer import VideoFileWriter
from app.engine.output_paths import SinkError
from app.engine.process import process_video
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings
from app.engine.sources import SourceError
from segmentation import Segmenter


def _probe(path: Path) -> tuple[int, int, int, float]:
    capture = cv2.VideoCapture(str(path))
    values = (
        int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
        int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
        int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        capture.get(cv2.CAP_PROP_FPS),
    )
    capture.release()
    return values


def test_every_frame_is_processed_at_the_input_size_and_fps(segmenter, short_clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    settings = RenderSettings(background=BackgroundSpec(kind=BackgroundKind.COLOR, color=(0, 0, 255)))
    summary = process_video(short_clip, output, settings, segmenter)
    assert summary.frames == 45 and summary.safe_frames == 0
    assert _probe(output) == (45, 320, 180, pytest.approx(30.0, abs=0.01))
    assert set(summary.stages) >= {"decode", "segment", "refine", "composite", "encode"}
    assert "45 frames" in summary.text() and "blur" not in summary.text()
    assert "frames hidden behind a blur" in dataclasses.replace(summary, safe_frames=3).text()


@pytest.mark.parametrize(
    ("size", "lost"),
    [((321, 180), "the last column of pixels was cut"), ((321, 181), "the last column and row of pixels were cut")],
)
def test_an_odd_sized_input_says_which_edge_the_output_lost(segmenter, tmp_path: Path, size, lost) -> None:
    odd = odd_sized_clip(tmp_path / "odd.mkv", *size)
    assert _probe(odd)[1:3] == size
    summary = process_video(odd, tmp_path / "out.mp4", RenderSettings(), segmenter)
    assert _probe(tmp_path / "out.mp4")[1:3] == (320, 180)
    assert f"written at 320x180: the mp4 video codec needs even sides, so {lost}" in summary.text()


def test_an_even_sized_input_is_written_at_its_size_without_a_note(segmenter, tmp_path: Path) -> None:
    summary = process_video(
        write_clip(tmp_path / "even.mp4", frames=5), tmp_path / "out.mp4", RenderSettings(), segmenter
    )
    assert "written at" not in summary.text()


def test_corrupt_input_is_refused_before_any_output(segmenter, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    output = tmp_path / "out.mp4"
    with pytest.raises(SourceError, match="damaged"):
        process_video(broken, output, RenderSettings(), segmenter)
    assert not output.exists()


def test_a_failure_midway_removes_the_partial_output(segmenter, short_clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"

    def fail_at_ten(done: int, total: int) -> None:
        if done == 10:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        process_video(short_clip, output, RenderSettings(), segmenter, on_progress=fail_at_ten)
    assert not output.exists()


def test_an_interrupted_run_leaves_an_earlier_output_untouched(segmenter, short_clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    output.write_bytes(b"an earlier result")

    def interrupt_at_ten(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        process_video(short_clip, output, RenderSettings(), segmenter, on_progress=interrupt_at_ten)
    assert output.read_bytes() == b"an earlier result"
    assert [path.name for path in tmp_path.iterdir()] == ["out.mp4"]  # no hidden partial file either
    process_video(short_clip, output, RenderSettings(), segmenter)  # a finished run replaces it
    assert _probe(output)[0] == 45


def test_a_disk_filling_up_stops_with_a_clear_error_and_no_partial_file(
    segmenter, short_clip: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr("app.engine.mp4_writer.shutil.disk_usage", FillingDisk(1))  # room at the start only
    with pytest.raises(SinkError, match=r"the disk that holds \S*/out\.mp4 is nearly full") as error:
        process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), segmenter)
    assert "partial" not in str(error.value)  # the user's file, not the hidden one written first
    assert list(tmp_path.iterdir()) == []


class _SlowWriter(VideoFileWriter):
    """A writer whose frames take ``seconds`` each, that notes a ``close`` arriving while a frame is being written
    (what crashes the native writer) and raises ``fail_with`` on write number ``fail_at``."""

    seconds = 0.1
    fail_at: int | None = None
    fail_with = SinkError("the disk is nearly full")
    closed_during_a_write = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.writing = False
        self.writes = 0

    def write(self, rgb) -> None:
        self.writing = True
        self.writes += 1
        time.sleep(self.seconds)
        self.writing = False
        if self.writes == self.fail_at:
            raise self.fail_with
        super().write(rgb)

    def close(self, *, discard: bool = False) -> None:
        type(self).closed_during_a_write |= self.writing
        super().close(discard=discard)


def test_an_interrupt_waits_for_the_frame_being_written_before_closing_the_writer(
    segmenter, short_clip: Path, tmp_path: Path, monkeypatch
) -> None:
    writer_class = type("Writer", (_SlowWriter,), {})
    monkeypatch.setattr("app.engine.process.VideoFileWriter", writer_class)

    def interrupt_at_ten(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), segmenter, on_progress=interrupt_at_ten)
    assert not writer_class.closed_during_a_write
    assert list(tmp_path.iterdir()) == []


def test_an_encoder_failing_behind_full_queues_ends_the_run_with_its_error(
    segmenter, short_clip: Path, tmp_path: Path, monkeypatch
) -> None:
    """The encoder is slow enough for every queue to fill before it fails: the other stages must not wait for it."""
    writer_class = type("Writer", (_SlowWriter,), {"seconds": 0.3, "fail_at": 3})
    monkeypatch.setattr("app.engine.process.VideoFileWriter", writer_class)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), segmenter)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "process_video hung after its encoder failed"
    assert isinstance(outcome[0], SinkError) and "nearly full" in str(outcome[0])
    assert list(tmp_path.iterdir()) == []


def test_a_decoder_failing_midway_ends_the_run_with_its_error(
    segmenter, short_clip: Path, tmp_path: Path, monkeypatch
) -> None:
    from app.engine.sources import VideoFileSource

    read = VideoFileSource.read
    reads = []

    def failing_read(self):
        reads.append(1)
        if len(reads) == 20:
            raise SourceError("the file is damaged from frame 20")
        return read(self)

    monkeypatch.setattr(VideoFileSource, "read", failing_read)
    output = tmp_path / "out.mp4"
    with pytest.raises(SourceError, match="damaged from frame 20"):
        process_video(short_clip, output, RenderSettings(), segmenter)
    assert list(tmp_path.iterdir()) == []


def test_a_stage_stuck_in_native_code_ends_the_run_with_a_message(
    segmenter, short_clip: Path, tmp_path: Path, monkeypatch
) -> None:
    """An encoder that never returns used to hang ``process`` forever (its stages were joined without a timeout)."""
    from app.engine import process as process_module

    monkeypatch.setattr(process_module, "STALL_SECONDS", 1.0)
    monkeypatch.setattr(process_module, "_STOP_TIMEOUT_SECONDS", 1.0)
    never = threading.Event()
    monkeypatch.setattr(VideoFileWriter, "write", lambda self, rgb: never.wait(30))
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            process_module.process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), segmenter)
        except BaseException as error:
            outcome.append(error)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(20)
    never.set()
    assert not runner.is_alive(), "process hung on a stuck encoder"
    assert isinstance(outcome[0], process_module.StageStuckError)
    assert "the encode stage is stuck" in str(outcome[0]) and "nothing was written" in str(outcome[0])
    assert list(tmp_path.iterdir()) == []


class _RecordingSegmenter(Segmenter):
    """The test model, noting which thread resized frames for it, which ran ``infer`` (resize and model), and
    OpenCV's thread count whenever the model ran."""

    def __init__(self, inner: Segmenter) -> None:
        super().__init__(inner.run_batch, inner.info, pixel_budget=inner.pixel_budget, edges=inner.edges)
        self.resized_on: set[str] = set()
        self.inferred_on: set[str] = set()
        self.opencv_threads: set[int] = set()

    def model_input(self, rgb, pixel_budget=None):
        self.resized_on.add(threading.current_thread().name)
        return super().model_input(rgb, pixel_budget)

    def infer(self, rgb, pixel_budget=None, *, zoom=True):
        self.inferred_on.add(threading.current_thread().name)
        return super().infer(rgb, pixel_budget, zoom=zoom)

    def infer_resized(self, small):
        self.opencv_threads.add(cv2.getNumThreads())
        return super().infer_resized(small)


def test_frames_are_resized_for_the_model_on_the_decoder_thread(segmenter, short_clip: Path, tmp_path: Path) -> None:
    """The segmentation thread bounds the throughput: it runs the model on frames the decoder thread resized."""
    recording = _RecordingSegmenter(segmenter)
    summary = process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), recording)
    assert summary.frames == 45 and summary.safe_frames == 0
    assert recording.resized_on == {"greenroom-decode"}
    assert recording.inferred_on == set()  # the segmentation thread never resized a frame itself
    assert "resize" in summary.stages


def test_opencv_runs_on_the_calling_threads_during_a_run_and_is_restored_after(
    segmenter, short_clip: Path, tmp_path: Path
) -> None:
    """The four stages keep the cores busy: OpenCV's own workers would only contend with them."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    try:
        recording = _RecordingSegmenter(segmenter)
        summary = process_video(short_clip, tmp_path / "out.mp4", RenderSettings(), recording)
        assert summary.frames == 45 and summary.safe_frames == 0
        assert recording.opencv_threads == {1}
        assert cv2.getNumThreads() == 3
        with pytest.raises(SourceError):  # restored after a failed run too
            process_video(tmp_path / "missing.mp4", tmp_path / "out2.mp4", RenderSettings(), recording)
        assert cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(before)
