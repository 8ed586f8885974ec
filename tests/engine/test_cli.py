"""The ``greenroom`` command: real runs on small inputs, and one clear line with exit code 2 for bad input."""

import argparse
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
from engine_fakes import FillingDisk, odd_sized_clip, write_clip

from app.cli import build_parser, main


@pytest.fixture(autouse=True)
def random_model(monkeypatch: pytest.MonkeyPatch, random_model_spec: Path) -> None:
    monkeypatch.setenv("GREENROOM_MODEL", str(random_model_spec))


def _run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_process_writes_every_frame_and_prints_a_summary(capsys, short_clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "result.mp4"
    code, out, _ = _run_cli(capsys, "process", str(short_clip), str(output), "--background", "color:#203040")
    assert code == 0
    assert "45 frames" in out and "fps end to end" in out and "segment" in out
    capture = cv2.VideoCapture(str(output))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 45
    capture.release()


def test_stream_records_for_a_duration(capsys, tmp_path: Path) -> None:
    record = tmp_path / "take.mp4"
    code, out, err = _run_cli(
        capsys, "stream", "--source", "test", "--background", "green", "--record", str(record), "--duration", "1.5"
    )
    assert code == 0, err
    assert "streamed" in out and "latency" in out and record.stat().st_size > 0
    capture = cv2.VideoCapture(str(record))
    frames_in_file = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    assert f"recorded {record}: {frames_in_file} frames at a steady 30 fps" in out
    assert "goes nowhere" not in err


def test_stream_says_when_a_recording_lost_an_odd_edge(capsys, tmp_path: Path) -> None:
    odd = odd_sized_clip(tmp_path / "odd.mkv", 321, 181, frames=30)
    record = tmp_path / "take.mp4"
    code, out, err = _run_cli(capsys, "stream", "--source", str(odd), "--record", str(record), "--duration", "1")
    assert code == 0, err
    assert (
        "written at 320x180: the mp4 video codec needs even sides, so the last column and row of pixels were cut" in out
    )


def test_stream_without_an_output_says_where_its_frames_go(capsys) -> None:
    code, _, err = _run_cli(capsys, "stream", "--source", "test", "--duration", "0.5")
    assert code == 0 and "no --vcam or --record given, so the output goes nowhere" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["process", "missing.mp4", "out.mp4"], "input video not found"),
        (["process", "{clip}", "out.mp4", "--background", "color:#12"], "color:#RRGGBB"),
        (["process", "{clip}", "{tmp}/no/such/dir/out.mp4"], "does not exist"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", "{tmp}/nope.png"], "background file not found"),
        (["stream", "--source", "7", "--duration", "1"], "camera 7 could not be opened"),
        (
            ["stream", "--source", "test", "--vcam", "--vcam-device", "/dev/video63", "--duration", "1"],
            "no virtual camera available",
        ),
        (["process", "{tmp}/notes.jpg", "{tmp}/out.mp4"], "notes.jpg is a still image: process takes a video file"),
        (["stream", "--source", "", "--duration", "1"], "the source is empty: give a camera index"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", ""], "the background is empty: give an image"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", "a.gif"], "give a picture (.bmp .jpeg .jpg .png"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", "{tmp}/notes.jpg"], "cannot read background image"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", "{tmp}/notes.mp4"], "cannot read background video"),
        (["stream", "--source", "test", "--background", "{tmp}/notes.jpg", "--duration", "1"], "cannot read"),
        (["stream", "--source", "{tmp}/notes.jpg", "--duration", "1"], "is a still image, not a video"),
        (["stream", "--source", "{tmp}", "--duration", "1"], "is a folder, not a video file"),
        (["stream", "--source", "4294967296", "--duration", "1"], "camera 4294967296 could not be opened"),
        (["process", "{clip}", "{tmp}/folder.mp4"], "folder.mp4 is a folder; give an .mp4 file in it"),
        (["process", "{clip}", "{tmp}/out.avi"], "output must be an .mp4 file, got out.avi"),
        (["process", "{clip}", ""], "no output file given"),
        (["stream", "--source", "test", "--record", "{tmp}/folder.mp4", "--duration", "1"], "is a folder"),
        (["process", "{tmp}", "{tmp}/out.mp4"], "is a folder, not a video file"),
        (["process", "{clip}", "{tmp}/out.mp4", "--background", "{tmp}"], "is a folder; give an image or video file"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(capsys, short_clip: Path, tmp_path: Path, args, expected) -> None:
    (tmp_path / "notes.jpg").write_text("not a picture")
    (tmp_path / "notes.mp4").write_text("not a video")
    (tmp_path / "folder.mp4").mkdir()
    planted = {tmp_path / "notes.mp4", tmp_path / "folder.mp4"}
    filled = [arg.format(clip=short_clip, tmp=tmp_path) for arg in args]
    code, _, err = _run_cli(capsys, *filled)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("greenroom: ") and expected in lines[0]
    assert set(tmp_path.glob("*.mp4")) == planted  # nothing half-written left behind


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["process", "{mine}", "{tmp}/../{tmp_name}/mine.mp4"],
            "mine.mp4 is the input; writing there would destroy it",
        ),
        (["process", "{mine}", "{link}", "--background", "{backdrop}"], "link.mp4 is the background video"),
        (["stream", "--source", "{mine}", "--record", "{mine}", "--duration", "1"], "mine.mp4 is the source video"),
        (["stream", "--background", "{backdrop}", "--record", "{link}", "--duration", "1"], "is the background video"),
    ],
)
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(capsys, short_clip, tmp_path, args, expected):
    mine, backdrop, link = tmp_path / "mine.mp4", tmp_path / "backdrop.mp4", tmp_path / "link.mp4"
    shutil.copy(short_clip, mine)
    shutil.copy(short_clip, backdrop)
    link.symlink_to(backdrop)  # another name for the background video
    before = {path: path.read_bytes() for path in (mine, backdrop)}
    names = {"mine": mine, "backdrop": backdrop, "link": link, "tmp": tmp_path, "tmp_name": tmp_path.name}
    code, _, err = _run_cli(capsys, *(arg.format(**names) for arg in args))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
    assert {path: path.read_bytes() for path in (mine, backdrop)} == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--duration", "0"], "--duration: must be more than 0 seconds"),
        (["--duration", "-1"], "--duration: must be more than 0 seconds"),
        (["--fps", "0"], "--fps: must be between 1 and 120"),
        (["--fps", "abc"], "--fps: expected a number"),
        (["--duration", "inf"], "--duration: expected a finite number"),
        (["--threshold", "nan"], "--threshold: expected a finite number"),
    ],
)
def test_out_of_range_stream_options_name_the_flag(capsys, args, expected) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["stream", "--source", "test", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1  # one line, not argparse's usage block first
    assert err.rstrip().endswith("see greenroom stream --help")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["bench", "--seconds", "0"], "--seconds: must be more than 0 seconds"),
        (["learn-room", "--out", "room.png", "--seconds", "inf"], "--seconds: expected a finite number"),
        (["learn-room", "--out", "room.png", "--delay", "inf"], "--delay: expected a finite number"),
        (["bench", "--frames", "0"], "--frames: must be at least 1"),
        (["bench", "--frames", "many"], "--frames: expected a whole number"),
        (["--source", "test", "stream"], "put it after: greenroom stream --source"),
        (["--source", "test", "process", "a.mp4", "b.mp4"], "process does not take it"),
        (["process", "a.mp4", "b.mp4", "--quality", "best"], "invalid choice: 'best'"),
        (["--background", "blur:0.2"], "--background is an option of process and stream: put it after"),
        (
            ["--back", "blur"],
            "--back could be --background or --backend, options of process, stream and learn-room: put it after the "
            "sub-command (greenroom process ... --background ...)",
        ),
        (["process", "", "out.mp4"], "greenroom process: argument input: it is empty: give a file"),
        (
            ["--thr", "0.2", "stream"],
            "--threshold is an option of process and stream: put it after the sub-command "
            "(greenroom stream ... --thr ...)",
        ),
        (["process", "a.mp4", "b.mp4", "--threshold", "3"], "argument --threshold: must be from 0 to 1, got 3"),
        (["stream", "--smoothing", "-0.1"], "argument --smoothing: must be from 0 to 1, got -0.1"),
        (["bench", "--rounds", "0"], "argument --rounds: must be at least 1, got 0"),
        (["--vcam", "stream"], "--vcam is an option of stream: put it after the sub-command (greenroom stream ..."),
        (["--mirror=1", "stream"], "(greenroom stream ... --mirror ...); the window takes only --source"),
        (
            ["process", "a.mp4", "b.mp4", "--bogus"],
            "greenroom process: unrecognized arguments: --bogus; see greenroom process --help",
        ),
    ],
)
def test_usage_mistakes_are_one_line_with_exit_2(capsys, args, expected) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and expected in err and err.count("\n") == 1


def test_every_option_of_every_command_says_what_it_does() -> None:
    parser = build_parser()
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    for name, command in [("greenroom", parser), *commands.choices.items()]:
        undocumented = [action.dest for action in command._actions if action.help is None and action is not commands]
        assert undocumented == [], f"{name}: {undocumented}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop_signal", "signals", "gap"),
    [("SIGTERM", 1, 0.0), ("SIGHUP", 1, 0.0), ("SIGINT", 2, 0.01), ("SIGINT", 2, 0.05), ("SIGTERM", 3, 0.02)],
)
def test_a_stop_signal_ends_process_like_ctrl_c(
    tmp_path: Path, random_model_spec: Path, stop_signal: str, signals: int, gap: float
) -> None:
    """No partial file, and an earlier output of the same name survives the interrupted run, also when more stop
    signals follow the first while it cleans up (a second one used to cut the clean-up short)."""
    import signal
    import time

    if not hasattr(signal, stop_signal):
        pytest.skip(f"{stop_signal} does not exist on this platform")
    clip = write_clip(tmp_path / "long.mp4", frames=3000, width=640, height=360)
    output = tmp_path / "out.mp4"
    output.write_bytes(b"an earlier result")
    command = [sys.executable, "-m", "app", "process", str(clip), str(output), "--model", str(random_model_spec)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def partial_files() -> list[Path]:
        """Hidden files in the folder (``process``'s own check of the folder creates and removes one too)."""
        return [path for path in tmp_path.iterdir() if path.name.startswith(".")]

    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except FileNotFoundError:  # gone between listing and looking: the folder check's short-lived probe
            return 0

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(size(path) > 100_000 for path in partial_files()):
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be interrupted"
        for _ in range(signals):
            process.send_signal(getattr(signal, stop_signal))
            time.sleep(gap)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and "greenroom: interrupted" in err and "Traceback" not in err
    assert output.read_bytes() == b"an earlier result" and partial_files() == []


def test_a_killed_runs_partial_file_is_removed_by_the_next_run(capsys, short_clip: Path, tmp_path: Path) -> None:
    """``kill -9`` leaves the hidden file; the next run in that folder removes it (its process is gone and it is
    old), and leaves alone one whose process still runs."""
    import os

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left_by_killed_run = tmp_path / f".greenroom-partial-{int(dead.stdout)}-out.mp4"
    still_running = tmp_path / f".greenroom-partial-{os.getppid()}-other.mp4"
    legacy = tmp_path / ".out.partial.mp4"  # the name earlier versions used
    for path in (left_by_killed_run, still_running, legacy):
        path.write_bytes(b"half a video")
        os.utime(path, (1e9, 1e9))
    code, _, err = _run_cli(capsys, "process", str(short_clip), str(tmp_path / "out.mp4"))
    assert code == 0, err
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["out.mp4", still_running.name])


def test_a_recorder_stopped_by_a_full_disk_is_reported_with_exit_1(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("app.engine.mp4_writer.shutil.disk_usage", FillingDisk(2))  # full after the first 30 frames
    record = tmp_path / "take.mp4"
    code, out, err = _run_cli(capsys, "stream", "--source", "test", "--record", str(record), "--duration", "1.5")
    assert code == 1
    assert "recorder stopped: the disk that holds" in err and "nearly full" in err
    assert f"the recording stopped early (see above); what was recorded is in {record}" in err
    assert "recorded" not in out
    capture = cv2.VideoCapture(str(record))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
    capture.release()


def test_corrupt_model_file_is_reported_without_traceback(tmp_path: Path, random_model_spec: Path, short_clip):
    for source in random_model_spec.parent.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    weights = next(tmp_path.glob("*.onnx"))
    weights.write_bytes(weights.read_bytes()[:1000])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "process",
            str(short_clip),
            str(tmp_path / "o.mp4"),
            "--model",
            str(tmp_path / random_model_spec.name),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert weights.name in result.stderr and "reinstall" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["process", "{tmp}/notes.mp4", "{tmp}/out.mp4"], "cannot read video"),
        (["stream", "--source", "9", "--duration", "1"], "camera 9 could not be opened"),
    ],
)
def test_library_log_lines_do_not_come_before_the_message(tmp_path: Path, args, expected) -> None:
    """OpenCV and FFmpeg write to the process's stderr themselves, which only a separate process shows."""
    (tmp_path / "notes.mp4").write_text("not a video")
    filled = [arg.format(tmp=tmp_path) for arg in args]
    result = subprocess.run([sys.executable, "-m", "app", *filled], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("greenroom: ") and expected in lines[0], result.stderr


def test_cameras_lists_or_says_none(capsys) -> None:
    code, out, _ = _run_cli(capsys, "cameras")
    assert code == 0 and out.strip()


@pytest.mark.slow
def test_bench_compares_medians_of_alternating_rounds(capsys, short_clip: Path, data_root: Path) -> None:
    """The MediaPipe loop needs the selfie model from the shared data folder (``data_root`` skips without it)."""
    pytest.importorskip("ai_edge_litert")
    code, out, err = _run_cli(capsys, "bench", "--clip", str(short_clip), "--seconds", "1", "--rounds", "3")
    assert code == 0, err
    process_row = next(line for line in out.splitlines() if line.startswith("process (ours"))
    peer_row = next(line for line in out.splitlines() if line.startswith("plain MediaPipe"))
    assert "median of 3 runs" in process_row and "median of 3 runs" in peer_row
    assert "at least as fast as the MediaPipe loop:" in out and "latency p50" in out
    stream_row = next(line for line in out.splitlines() if line.startswith("stream (ours"))
    assert "ended at adaptive: model input " in stream_row


def test_process_warns_when_the_input_ends_before_its_announced_frames(capsys, tmp_path: Path) -> None:
    whole = tmp_path / "whole.avi"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 90))
    rng = np.random.default_rng(0)
    for _ in range(30):
        writer.write(rng.integers(0, 256, (90, 160, 3), dtype=np.uint8))
    writer.release()
    cut = tmp_path / "cut.avi"  # an interrupted copy: the header still announces 30 frames
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    code, out, err = _run_cli(capsys, "process", str(cut), str(tmp_path / "out.mp4"))
    written = int(cv2.VideoCapture(str(tmp_path / "out.mp4")).get(cv2.CAP_PROP_FRAME_COUNT))
    assert code == 0 and 5 < written < 25 and out.startswith(f"wrote {tmp_path / 'out.mp4'}: {written} frames")
    assert f"greenroom: warning: the input ended after {written} of the 30 frames its header announces" in err
    code, _, err = _run_cli(capsys, "process", str(whole), str(tmp_path / "whole.mp4"))
    assert code == 0 and "warning" not in err


def _variable_rate_clip(path: Path) -> Path:
    """40 frames: 10 at 0.1 s apart, then 30 at 1/60 s (a phone's variable frame rate), in an mp4."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=60)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 600)
        ticks = 0
        for index in range(40):
            frame = av.VideoFrame.from_ndarray(np.full((90, 160, 3), index * 5, np.uint8), format="rgb24")
            frame.pts, frame.time_base = ticks, Fraction(1, 600)
            container.mux(stream.encode(frame))
            ticks += 60 if index < 10 else 10
        container.mux(stream.encode(None))
    return path


def test_process_warns_when_a_variable_frame_rate_moves_frames_off_their_time(capsys, tmp_path: Path) -> None:
    clip = _variable_rate_clip(tmp_path / "phone.mp4")
    code, _, err = _run_cli(capsys, "process", str(clip), str(tmp_path / "out.mp4"))
    assert code == 0
    assert "greenroom: warning: the input has a variable frame rate: the output plays it at a constant 26.67 fps" in err
    assert "moves some frames up to 0.62 s from their time in the input (and from its sound)" in err


def test_a_bug_reads_as_a_bug_with_its_traceback_in_a_log(capsys, monkeypatch, short_clip: Path, tmp_path) -> None:
    """Any ValueError used to read as a usage mistake (one line, exit 2), hiding the traceback of a bug."""
    from app import commands

    def broken(args):
        raise ValueError("an internal mistake")

    monkeypatch.setattr(commands, "process", broken)
    code, _, err = _run_cli(capsys, "process", str(short_clip), str(tmp_path / "out.mp4"))
    assert code == 70 and err.count("\n") == 1
    assert "internal error (ValueError: an internal mistake); this is a bug in Greenroom" in err
    log = Path(err.rsplit("details in ", 1)[1].strip())
    assert "Traceback" in log.read_text() and "an internal mistake" in log.read_text()
    log.unlink()


def test_stream_closes_the_source_when_the_model_cannot_load(capsys, monkeypatch, tmp_path) -> None:
    """The camera stayed open (busy for other apps) when the model failed to load."""
    from engine_fakes import FakeCamera

    from app import commands
    from segmentation import WeightsError

    camera = FakeCamera()
    monkeypatch.setattr(commands, "open_source", lambda spec: camera)

    def no_model(**kwargs):
        raise WeightsError("model weights not found: x.safetensors; reinstall Greenroom")

    monkeypatch.setattr(commands, "load_segmenter", no_model)
    code, _, err = _run_cli(capsys, "stream", "--source", "test", "--duration", "1")
    assert code == 2 and "model weights not found" in err and camera.closed


def test_an_unusable_gpu_is_named_in_one_line_and_cuda_asked_for_is_exit_2(
    capsys, monkeypatch, short_clip: Path, tmp_path: Path
) -> None:
    from segmentation import CudaStatus
    from segmentation.inference import loading

    reason = "this PyTorch build has no kernels for the GeForce GTX 1080 (sm_61)"
    monkeypatch.setattr(loading, "probe_cuda", lambda: CudaStatus(False, reason, present=True))
    code, out, err = _run_cli(capsys, "process", str(short_clip), str(tmp_path / "out.mp4"))
    assert code == 0 and f"greenroom: note: the GPU is not used: {reason}" in err.splitlines()
    assert "model: " in out and "(cpu, " in out
    code, _, err = _run_cli(capsys, "process", str(short_clip), str(tmp_path / "again.mp4"), "--device", "cuda")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"device 'cuda' cannot be used: {reason}" in err and "Traceback" not in err


def test_only_me_is_an_option_of_process_and_stream() -> None:
    from app.commands import render_settings_from

    for command in (["process", "in.mp4", "out.mp4"], ["stream"]):
        assert render_settings_from(build_parser().parse_args([*command, "--only-me"])).only_me
        assert not render_settings_from(build_parser().parse_args(command)).only_me
