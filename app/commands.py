"""The headless sub-commands behind ``greenroom process|stream|learn-room|cameras|bench`` (argparse in ``app.cli``)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.assets import demo_clip
from app.engine.backgrounds import make_background
from app.engine.cameras import list_cameras
from app.engine.engine import Engine
from app.engine.events import EngineEvent, EventKind
from app.engine.mp4_writer import even_sides_note
from app.engine.output_paths import SinkError, check_not_an_input, check_output_path
from app.engine.outputs import OutputSinks
from app.engine.paths import PathKind, file_problem, path_kind, printable
from app.engine.process import PROCESS_INFERENCE_THREADS, StageStuckError, process_video
from app.engine.quality import LADDER_BUDGETS
from app.engine.room_capture import learn_from_source
from app.engine.room_plate import RoomPlateError, read_plate, write_plate
from app.engine.settings import (
    IMAGE_SUFFIXES,
    QualityMode,
    RenderSettings,
    SourceKind,
    SourceSpec,
    parse_background_spec,
    parse_source_spec,
)
from app.engine.sources import SourceError, open_source
from app.stop_signals import on_stop_signals, raise_keyboard_interrupt
from segmentation import Backend, Device, Segmenter, load_segmenter

_STATUS_EVERY_SECONDS = 2.0


def render_settings_from(args: argparse.Namespace) -> RenderSettings:
    """Typed settings from the shared render options, with the background file opened once to check it can be used
    (raises ``BackgroundSpecError`` or ``BackgroundError``, each saying what to do)."""
    settings = RenderSettings(
        background=parse_background_spec(args.background),
        mirror=args.mirror,
        threshold=args.threshold,
        feather=args.feather,
        smoothing=args.smoothing,
        quality=QualityMode(args.quality),
        target_fps=getattr(args, "fps", 30.0),
        only_me=args.only_me,
        room_plate=args.room_plate,
    )
    if args.room_plate is not None:
        read_plate(args.room_plate)  # RoomPlateError now, not a note after the run
    background = make_background(settings.background)
    if background is not None:
        background.close()
    return settings


def _background_file(settings: RenderSettings) -> dict[str, Path | None]:
    """The background's and the room picture's files as named inputs for ``check_not_an_input`` (``None`` for blur,
    colours, no room picture)."""
    background = settings.background
    return {f"the background {background.kind.value}": background.path, "the room picture": settings.room_plate}


def print_event(event: EngineEvent) -> None:
    """Engine events on stderr, one line each."""
    if event.kind is not EventKind.INFO:
        print(f"greenroom: {event.kind.value}: {printable(event.message)}", file=sys.stderr)
    else:
        print(f"greenroom: {printable(event.message)}", file=sys.stderr)


def process(args: argparse.Namespace) -> int:
    settings = render_settings_from(args)
    problem = file_problem(
        args.input,
        folder=f"{args.input} is a folder, not a video file; give a video file in it",
        missing=f"input video not found: {args.input}; check the path",
    )
    if problem:
        raise SourceError(problem)
    if args.input.suffix.lower() in IMAGE_SUFFIXES:
        raise SourceError(
            f"{args.input.name} is a still image: process takes a video file as its input (a picture can be the "
            "--background)"
        )
    check_output_path(args.output)
    check_not_an_input(args.output, {"the input": args.input, **_background_file(settings)})
    segmenter = load_segmenter(
        device=args.device,
        backend=args.backend,
        spec_path=args.model,
        threads=PROCESS_INFERENCE_THREADS,
        cuda_graph=args.cuda_graphs,
        warm_up_budgets=LADDER_BUDGETS,
    )
    _say_why_not_the_gpu(segmenter)
    last_shown = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_shown[0] > 1.0 and sys.stderr.isatty():
            print(f"\r{done}/{total} frames", end="", file=sys.stderr)
            last_shown[0] = now

    with on_stop_signals(raise_keyboard_interrupt):  # SIGTERM/SIGHUP stop like Ctrl+C: no partial output is left
        try:
            summary = process_video(args.input, args.output, settings, segmenter, on_progress=progress)
        except StageStuckError as error:
            print(f"greenroom: {error}", file=sys.stderr)
            return 1
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"wrote {args.output}: {summary.text()}")
    for warning in (
        summary.failure_note(),
        summary.short_input_note(),
        summary.variable_rate_note(),
        summary.room_note(),
    ):
        if warning:
            print(f"greenroom: warning: {printable(warning)}", file=sys.stderr)
    print(
        f"model: {segmenter.info.model_name} on {segmenter.info.backend} ({segmenter.info.device}, "
        f"{segmenter.info.precision})"
    )
    return 1 if summary.frames and summary.safe_frames == summary.frames else 0  # every frame failed: not a result


def _say_why_not_the_gpu(segmenter: Segmenter) -> None:
    """One line on stderr when a GPU is there but the model runs on the CPU (``BackendInfo.note``)."""
    if segmenter.info.note:
        print(f"greenroom: note: {printable(segmenter.info.note)}", file=sys.stderr)


def _cpu_segmenter(args: argparse.Namespace) -> Segmenter:
    """The model of ``args`` on the CPU, for a stream whose GPU failed: the torch backend if it was asked for."""
    backend = Backend.TORCH if args.backend == Backend.TORCH else Backend.AUTO
    return load_segmenter(device=Device.CPU, backend=backend, spec_path=args.model)


def stream(args: argparse.Namespace) -> int:
    settings = render_settings_from(args)
    if args.stream_source is not None:
        source_spec = parse_source_spec(args.stream_source)
    else:
        source_spec = SourceSpec(kind=SourceKind.VIDEO, path=demo_clip())
    if args.record is not None:
        source_file = source_spec.path if source_spec.kind is SourceKind.VIDEO else None
        check_output_path(args.record)
        check_not_an_input(args.record, {"the source video": source_file, **_background_file(settings)})
    opened = open_source(source_spec)  # SourceError reaches the user before anything starts
    try:
        segmenter = load_segmenter(
            device=args.device,
            backend=args.backend,
            spec_path=args.model,
            cuda_graph=args.cuda_graphs,
            warm_up_budgets=LADDER_BUDGETS,
        )
    except BaseException:
        opened.close()  # a camera held open would stay busy for other apps until the process ends
        raise
    _say_why_not_the_gpu(segmenter)
    engine = Engine(segmenter, on_event=print_event, cpu_fallback=lambda: _cpu_segmenter(args))
    outputs = OutputSinks(print_event)
    width, height = opened.width, opened.height
    try:
        if args.vcam:
            device = outputs.start_virtual_camera(
                engine.output, width=width, height=height, fps=args.fps, device=args.vcam_device
            )
            print(f"greenroom: virtual camera {device} at {width}x{height}")
        if args.record:
            outputs.start_recording_to(engine.output, args.record, width=width, height=height, fps=args.fps)
    except SinkError:
        opened.close()
        outputs.close_all()
        raise
    recorder = outputs.recorder
    sinks = [sink for sink in (outputs.virtual_camera, recorder) if sink is not None]
    print(
        f"greenroom: streaming {opened.description} with {settings.background.describe()} "
        f"on {segmenter.info.backend} ({segmenter.info.device}); Ctrl+C stops",
        file=sys.stderr,
    )
    if not sinks:
        print(
            "greenroom: no --vcam or --record given, so the output goes nowhere (a dry run that prints timings); "
            "add --vcam to send it to video call apps",
            file=sys.stderr,
        )
    engine.start(source_spec, settings, opened=opened)
    started = last_status = time.monotonic()
    with on_stop_signals(raise_keyboard_interrupt):
        try:
            while args.duration is None or time.monotonic() - started < args.duration:
                time.sleep(0.1)
                if engine.source_ended:
                    break
                if time.monotonic() - last_status >= _STATUS_EVERY_SECONDS:
                    last_status = time.monotonic()
                    print(f"greenroom: {engine.snapshot().summary()}", file=sys.stderr)
        except KeyboardInterrupt:
            pass
        finally:
            engine.stop()
            outputs.close_all()
    snapshot = engine.snapshot()
    stages = ", ".join(f"{name} {value.p50_ms:.1f}/{value.p95_ms:.1f}" for name, value in snapshot.stages.items())
    print(f"streamed {snapshot.frames} frames: {snapshot.summary()}; per-stage ms p50/p95: {stages}")
    if recorder is not None and recorder.failure:
        kept = f"what was recorded is in {args.record}" if args.record.is_file() else "nothing was kept"
        print(f"greenroom: the recording stopped early (see above); {kept}", file=sys.stderr)
    elif recorder is not None and args.record.is_file():
        note = even_sides_note(opened.width, opened.height)
        print(f"recorded {args.record}: {recorder.frames_sent} frames at a steady {args.fps:g} fps{note}")
    elif recorder is not None:
        print(f"greenroom: nothing was recorded to {args.record}: no frame reached the recorder", file=sys.stderr)
    return 1 if any(sink.failure for sink in sinks) else 0


def learn_room(args: argparse.Namespace) -> int:
    """``greenroom learn-room``: a picture of the empty room from a camera or a video file, written as a PNG."""
    out: Path = args.out
    problem = file_problem(out, folder=f"{out} is a folder; give a .png file in it", missing=None)
    if problem:
        raise RoomPlateError(problem)
    if out.suffix.lower() != ".png":
        raise RoomPlateError(f"the room picture must be a .png file (lossless), got {out.name}")
    if path_kind(out.parent) is not PathKind.FOLDER:
        raise RoomPlateError(f"cannot write {out}: the folder {out.parent} does not exist")
    source_spec = parse_source_spec(args.learn_source, loop=False)
    opened = open_source(source_spec)
    try:
        segmenter = load_segmenter(device=args.device, backend=args.backend, spec_path=args.model)
        _say_why_not_the_gpu(segmenter)
        delay = args.delay if args.delay is not None else (3.0 if opened.realtime else 0.0)
        if delay > 0:
            print(f"greenroom: step out of view: learning the room starts in {delay:g} s", file=sys.stderr)

        def say_started() -> None:
            print(f"greenroom: learning the room from {opened.description} for {args.seconds:g} s", file=sys.stderr)

        with on_stop_signals(raise_keyboard_interrupt):
            plate = learn_from_source(
                opened, lambda rgb: segmenter.infer(rgb).mask, seconds=args.seconds, delay=delay, on_start=say_started
            )
    finally:
        opened.close()
    write_plate(out, plate)
    print(f"wrote {out}: the empty room at {plate.shape[1]}x{plate.shape[0]}; use it with --room-plate {out}")
    return 0


def cameras(args: argparse.Namespace) -> int:
    found = list_cameras()
    if not found:
        print("no cameras found; `greenroom` will run on the bundled demo clip")
        return 0
    for camera in found:
        print(f"{camera.index}\t{camera.name}\t{camera.path}")
    return 0


def bench(args: argparse.Namespace) -> int:
    from app.bench import run_bench

    return run_bench(
        clip=args.clip, seconds=args.seconds, frames=args.frames, with_peer=not args.no_peer, rounds=args.rounds
    )
