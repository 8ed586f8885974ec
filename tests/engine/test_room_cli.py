"""``greenroom learn-room`` and ``--room-plate`` on ``process`` and ``stream``: real runs on small clips with the
shipped model (the random test model sees a person everywhere, which leaves no room to compare with), and one clear
line with exit code 2 for what cannot be used."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from test_room_capture import room, write_room_clip

from app.cli import main
from app.engine.room_plate import read_plate


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_learn_room_writes_the_empty_room_and_process_uses_it(capsys, tmp_path: Path) -> None:
    clip = write_room_clip(tmp_path / "room.mp4", 120)
    plate = tmp_path / "room.png"
    code, out, err = _run(capsys, "learn-room", "--source", str(clip), "--out", str(plate), "--seconds", "2")
    assert code == 0, err
    assert f"wrote {plate}: the empty room at 320x180; use it with --room-plate {plate}" in out
    assert "learning the room from video room.mp4" in err and "step out of view" not in err  # a file needs no delay
    assert np.abs(read_plate(plate).astype(np.float32) - room()).mean() < 4.0
    output = tmp_path / "out.mp4"
    code, out, err = _run(capsys, "process", str(clip), str(output), "--room-plate", str(plate), "--background", "none")
    assert code == 0, err
    assert "120 frames" in out and "room" in out  # the room's own stage in the timings
    assert "the room picture matched" not in err  # it matched every frame


def test_process_says_when_the_room_picture_did_not_match(capsys, tmp_path: Path) -> None:
    clip = write_room_clip(tmp_path / "room.mp4", 60)
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), cv2.flip(room(), 1))  # another room: the same things, elsewhere
    code, _, err = _run(capsys, "process", str(clip), str(tmp_path / "out.mp4"), "--room-plate", str(other))
    assert code == 0
    assert "greenroom: warning: the room picture matched" in err and "the others used the model alone" in err


def test_stream_reports_a_room_picture_that_does_not_match_on_stderr(capsys, tmp_path: Path) -> None:
    clip = write_room_clip(tmp_path / "room.mp4", 60)
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), cv2.flip(room(), 1))
    code, _, err = _run(capsys, "stream", "--source", str(clip), "--room-plate", str(other), "--duration", "1.5")
    assert code == 0
    assert "greenroom: warning: the room picture does not match" in err and "learn the room again" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["process", "{clip}", "{tmp}/o.mp4", "--room-plate", "{tmp}/none.png"], "room picture not found"),
        (["process", "{clip}", "{tmp}/o.mp4", "--room-plate", "{tmp}"], "is a folder; give a picture file"),
        (["process", "{clip}", "{tmp}/o.mp4", "--room-plate", "{tmp}/bad.png"], "damaged or not a picture"),
        (["stream", "--source", "{clip}", "--room-plate", "{tmp}/none.png"], "room picture not found"),
        (["process", "{clip}", "{tmp}/o.mp4", "--room-plate", ""], "--room-plate: it is empty"),
        (["learn-room", "--source", "{clip}", "--out", "{tmp}/room.jpg"], "must be a .png file"),
        (["learn-room", "--source", "{clip}", "--out", "{tmp}"], "is a folder; give a .png file"),
        (["learn-room", "--source", "{clip}", "--out", "{tmp}/no/room.png"], "does not exist"),
        (["learn-room", "--source", "{tmp}/none.mp4", "--out", "{tmp}/room.png"], "not found"),
        (["learn-room", "--source", "{clip}", "--out", "{tmp}/room.png", "--seconds", "9"], "the source ended"),
        (["learn-room", "--source", "{clip}", "--out", "{tmp}/room.png", "--delay", "-1"], "0 seconds or more"),
        (["learn-room", "--source", "{moving}", "--out", "{tmp}/room.png"], "try again"),
        (["learn-room", "--source", "{clip}"], "the following arguments are required: --out"),
        (["--source", "0", "learn-room", "--out", "{tmp}/room.png"], "--source before learn-room is for the window"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(capsys, tmp_path: Path, args: list[str], expected: str) -> None:
    clip = write_room_clip(tmp_path / "room.mp4", 60)
    moving = write_room_clip(tmp_path / "moving.mp4", 120, moving=True)
    (tmp_path / "bad.png").write_bytes(b"not a picture at all")
    try:
        code = main([arg.format(clip=clip, tmp=tmp_path, moving=moving) for arg in args])
    except SystemExit as usage_mistake:  # argparse's own checks end like this, with the same one line
        code = usage_mistake.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("greenroom")]) <= 2  # the error, a GPU note
    assert not (tmp_path / "room.png").exists()
