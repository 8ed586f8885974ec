"""The ``greenroom`` command: no arguments opens the window; sub-commands work headless.

    greenroom [--source INDEX|PATH]                    the desktop app
    greenroom process INPUT OUTPUT --background SPEC   every frame of a video file to an mp4
    greenroom stream --source S --background SPEC [--vcam] [--record FILE] [--duration SECONDS]
    greenroom learn-room --source S --out FILE         a picture of the empty room, for --room-plate
    greenroom cameras                                  list cameras
    greenroom bench                                    pipeline throughput and latency on a clip

Bad input ends with one line on stderr that says what is wrong and what to do, and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import cv2

from app.engine.backgrounds import BackgroundError
from app.engine.output_paths import SinkError
from app.engine.paths import UnusablePathError, describe_os_error, printable
from app.engine.room_capture import LEARN_SECONDS, RoomCaptureError
from app.engine.room_plate import RoomPlateError
from app.engine.settings import (
    MAX_FPS,
    MIN_FPS,
    BackgroundSpecError,
    QualityMode,
    RenderSettings,
    SourceSpecError,
)
from app.engine.sources import SourceError
from segmentation import Backend, BackendChoiceError, Device, WeightsError

EXIT_USAGE = 2
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug, reported with a log file
# Errors about what the user gave (files, values, choices): one line that says what to do, exit code 2. Anything else
# is a bug, and reads as one.
_USER_ERRORS = (
    BackgroundSpecError,
    BackgroundError,
    SourceSpecError,
    SourceError,
    SinkError,
    WeightsError,
    BackendChoiceError,
    UnusablePathError,
    RoomPlateError,
    RoomCaptureError,
)


def _positive_seconds(text: str) -> float:
    """argparse type for ``--duration``: a number of seconds above 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def _non_negative_seconds(text: str) -> float:
    """argparse type for ``--delay``: a number of seconds, 0 or more."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more, got {text}")
    return value


def _frame_rate(text: str) -> float:
    """argparse type for ``--fps``: the range ``RenderSettings.target_fps`` accepts, named after the flag."""
    value = _number(text)
    if not MIN_FPS <= value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"must be between {MIN_FPS:g} and {MAX_FPS:g} frames per second, got {text}")
    return value


def _positive_count(text: str) -> int:
    """argparse type for counts such as ``--frames``: a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _given_path(text: str) -> Path:
    """argparse type for a file argument: a path that is not empty (``Path("")`` would be the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("it is empty: give a file")
    return Path(text)


def _unit_interval(text: str) -> float:
    """argparse type for ``--threshold``, ``--feather`` and ``--smoothing``: a number from 0 to 1."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):  # NaN slips past every range check; infinity waits forever (--seconds, --delay)
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        choices=[device.value for device in Device],
        default=Device.AUTO.value,
        help="where the model runs; auto picks an NVIDIA GPU when there is one (default %(default)s)",
    )
    parser.add_argument(
        "--backend",
        choices=[backend.value for backend in Backend],
        default=Backend.AUTO.value,
        help="auto: PyTorch on CUDA, ONNX Runtime on the CPU (default %(default)s)",
    )
    parser.add_argument("--model", type=_given_path, default=None, help="model spec .json (default: the shipped model)")


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--background",
        default="blur",
        help="image or video path, blur, blur:S (strength S from 0 light to 1 heavy, default 0.6), green, none or "
        "color:#RRGGBB (default: blur)",
    )
    defaults = RenderSettings()
    parser.add_argument(
        "--threshold",
        type=_unit_interval,
        default=defaults.threshold,
        help="mask threshold in [0, 1] (default %(default)s)",
    )
    parser.add_argument(
        "--feather", type=_unit_interval, default=defaults.feather, help="edge softness in [0, 1] (default %(default)s)"
    )
    parser.add_argument(
        "--smoothing",
        type=_unit_interval,
        default=defaults.smoothing,
        help="temporal smoothing in [0, 1] (default %(default)s)",
    )
    parser.add_argument("--mirror", action="store_true", help="flip the image horizontally")
    parser.add_argument(
        "--only-me",
        action="store_true",
        help="keep only the main person (largest, nearest the centre, then followed); everyone else gets the "
        "background",
    )
    parser.add_argument(
        "--room-plate",
        type=_given_path,
        default=None,
        metavar="FILE",
        help="a picture of the empty room (greenroom learn-room makes one), the frames' size or scaled to them: "
        "while the frames match it, the mask is exact there; when they stop matching the model is used alone",
    )
    parser.add_argument(
        "--quality",
        choices=[mode.value for mode in QualityMode],
        default="adaptive",
        help="adaptive holds the frame rate by changing the model's input size; quality and speed fix it "
        "(default %(default)s)",
    )
    _add_model_options(parser)
    parser.add_argument(
        "--no-cuda-graphs",
        dest="cuda_graphs",
        action="store_false",
        help="on CUDA, run the model eagerly instead of replaying a captured CUDA graph per input size",
    )


class _OneLineErrorParser(argparse.ArgumentParser):
    """Usage mistakes end like every other bad input: one line on stderr that says what to do, and exit code 2."""

    command_parsers: dict[str, argparse.ArgumentParser]  # the sub-commands' parsers, by name

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}; see {self.prog} --help\n")


def build_parser() -> _OneLineErrorParser:
    parser = _OneLineErrorParser(prog="greenroom", description="Replace the background of a live webcam feed.")
    parser.add_argument(
        "--source",
        help="camera index, device path or video file for the window (default: "
        "the first camera, or the bundled demo clip when there is none)",
    )
    commands = parser.add_subparsers(dest="command")
    parser.command_parsers = commands.choices

    process = commands.add_parser("process", help="process a video file to an mp4 (every frame)")
    process.add_argument("input", type=_given_path, help="the video file to process")
    process.add_argument("output", type=Path, help="the .mp4 file to write (never the input or the background)")
    _add_render_options(process)

    stream = commands.add_parser("stream", help="stream live to a virtual camera and/or a recording")
    stream.add_argument(
        "--source",
        dest="stream_source",
        default=None,
        help="camera index, device path, video file or 'test' (default: demo clip)",
    )
    stream.add_argument("--vcam", action="store_true", help="send to the virtual camera")
    stream.add_argument("--vcam-device", default=None, help="virtual camera device (for example /dev/video10)")
    stream.add_argument("--record", type=Path, default=None, help="also record the output to this .mp4 file")
    stream.add_argument("--duration", type=_positive_seconds, default=None, help="stop after this many seconds")
    stream.add_argument("--fps", type=_frame_rate, default=30.0, help="output pace, 1-120 (default 30)")
    _add_render_options(stream)

    learn = commands.add_parser("learn-room", help="learn a picture of the empty room from a camera or a video")
    learn.add_argument(
        "--source",
        dest="learn_source",
        default="0",
        help="camera index, device path or video file showing the empty room (default: camera 0)",
    )
    learn.add_argument("--out", type=_given_path, required=True, help="the .png file to write the room picture to")
    learn.add_argument(
        "--seconds",
        type=_positive_seconds,
        default=LEARN_SECONDS,
        help="how long to learn from; frames are averaged robustly (default %(default)g)",
    )
    learn.add_argument(
        "--delay",
        type=_non_negative_seconds,
        default=None,
        help="seconds to step out of view before learning starts (default: 3 for a camera, 0 for a video file)",
    )
    _add_model_options(learn)

    commands.add_parser("cameras", help="list the cameras found")

    bench = commands.add_parser("bench", help="measure pipeline throughput and latency on a clip")
    bench.add_argument(
        "--clip", type=Path, default=None, help="1280x720 or other clip (default: the demo clip upscaled to 1280x720)"
    )
    bench.add_argument(
        "--seconds",
        type=_positive_seconds,
        default=10.0,
        help="length of the streaming latency run (default %(default)g)",
    )
    bench.add_argument(
        "--frames",
        type=_positive_count,
        default=300,
        help="frames for the process throughput run (default %(default)s)",
    )
    bench.add_argument("--no-peer", action="store_true", help="skip the MediaPipe comparison loop")
    bench.add_argument(
        "--rounds",
        type=_positive_count,
        default=3,
        help="alternating runs of process and the MediaPipe loop, medians compared (default %(default)s)",
    )
    return parser


def quiet_library_logs() -> None:
    """Keep OpenCV's warnings and FFmpeg's log lines ("moov atom not found", "can't open camera by index") off the
    console: every failure they describe reaches the user as one of our own messages that says what to do. Setting
    ``OPENCV_LOG_LEVEL`` or ``OPENCV_FFMPEG_LOGLEVEL`` in the environment keeps the libraries' own choice."""
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read when the FFmpeg backend starts


def check_window_options(parser: _OneLineErrorParser, argv: Sequence[str]) -> None:
    """Refuse, with where it belongs, a sub-command's option given before the sub-command or without one (for
    example ``greenroom --background blur``, or ``--back blur`` as argparse takes abbreviations): argparse would read
    its value as a sub-command's name ("invalid choice") or report a known option as unrecognized."""
    given = next((token for token in argv if token in parser.command_parsers), None)
    for token in argv:
        if token == given:
            return
        option = token.split("=", 1)[0]
        if not option.startswith("--") or _options_named(parser, option):
            continue
        named_by = {name: _options_named(command, option) for name, command in parser.command_parsers.items()}
        owners = [name for name, named in named_by.items() if named]
        if owners:
            example = given if given in owners else owners[0]
            named = named_by[example]
            if len(named) == 1:
                what, shown = f"{named[0]} is an option", option
            else:  # ambiguous after the sub-command too: show it in full
                what, shown = f"{option} could be {' or '.join(named)}, options", named[0]
            parser.error(
                f"{what} of {_listed(owners)}: put it after the sub-command (greenroom {example} "
                f"... {shown} ...); the window takes only --source"
            )


def _listed(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _options_named(parser: argparse.ArgumentParser, option: str) -> list[str]:
    """The long options of ``parser`` that ``option`` names: itself, or those it abbreviates (argparse takes a
    unique abbreviation)."""
    names = [name for name in parser._option_string_actions if name.startswith("--")]
    return [option] if option in names else [name for name in names if name.startswith(option)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    check_window_options(parser, argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the sub-command they were given to, whose --help lists what it takes
        parser.command_parsers.get(args.command, parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is not None and args.source is not None:
        if args.command in ("stream", "learn-room"):
            parser.error(
                f"--source before {args.command} is for the window; put it after: greenroom {args.command} --source ..."
            )
        parser.error(f"--source is for the window, stream and learn-room; {args.command} does not take it")
    quiet_library_logs()
    try:
        if args.command is None:
            from app.ui import run_gui

            return run_gui(args.source)
        from app import commands

        handler = {
            "process": commands.process,
            "stream": commands.stream,
            "cameras": commands.cameras,
            "bench": commands.bench,
            "learn-room": commands.learn_room,
        }[args.command]
        return handler(args)
    except _USER_ERRORS as error:
        print(f"greenroom: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a file the checks above did not name (they turn the ones they know into messages)
        where = f"{error.filename}: " if error.filename else ""
        print(printable(f"greenroom: {where}{describe_os_error(error)}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("greenroom: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so, and keep the traceback for the report
        log = write_crash_log(error)
        print(
            printable(
                f"greenroom: internal error ({type(error).__name__}: {error}); this is a bug in Greenroom: please "
                f"report it with the details in {log}"
            ),
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


def write_crash_log(error: BaseException) -> Path:
    """Write ``error``'s traceback to a new file in the temporary folder; return its path."""
    handle, name = tempfile.mkstemp(prefix="greenroom-crash-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as log:
        log.write(f"greenroom {' '.join(sys.argv[1:])}\n\n")
        log.write("".join(traceback.format_exception(error)))
    return Path(name)


if __name__ == "__main__":
    sys.exit(main())
