"""``greenroom bench``: end-to-end throughput of ``greenroom process`` and streaming latency, printed as a table.

1. process: every frame of a 1280x720 clip with a blurred background, decode and mp4 encode included;
2. peer: a plain sequential loop with the MediaPipe selfie model (256x144 landscape) doing the same decode, blur
   composite and encode (needs the ``train`` extra and the shared data folder; skipped otherwise); 1 and 2 run
   alternately, ``rounds`` times each, and their medians are compared;
3. stream: the live engine on the clip paced at its fps, capture-to-output latency p50/p95 and dropped frames.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import cv2

from app.assets import demo_clip
from app.engine.backgrounds import BlurBackground
from app.engine.composite import composite
from app.engine.engine import Engine
from app.engine.mp4_writer import VideoFileWriter
from app.engine.process import PROCESS_INFERENCE_THREADS, process_video
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings, SourceKind, SourceSpec
from app.engine.sources import VideoFileSource
from app.engine.stats import StatsSnapshot
from segmentation import load_segmenter

BENCH_SIZE = (1280, 720)
_BLUR = RenderSettings(background=BackgroundSpec(kind=BackgroundKind.BLUR))


def upscaled_clip(source: Path, destination: Path, size: tuple[int, int], max_frames: int) -> Path:
    """Write the first ``max_frames`` frames of ``source`` resized to ``size`` (an mp4 for benchmarking)."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    writer = cv2.VideoWriter(str(destination), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(max_frames):
        ok, bgr = capture.read()
        if not ok:
            break
        writer.write(cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR))
    capture.release()
    writer.release()
    return destination


def mediapipe_loop(clip: Path, output: Path, max_frames: int) -> float | None:
    """fps of a plain sequential decode -> MediaPipe 256x144 -> blur composite -> encode loop, or None."""
    try:
        from segmentation.data_root import default_data_root
        from segmentation.peers.mediapipe import LANDSCAPE_MODEL, MediaPipeSelfie

        teacher = MediaPipeSelfie(default_data_root() / "models", force=LANDSCAPE_MODEL)
    except (ImportError, FileNotFoundError) as error:
        print(f"peer skipped: {error}")
        return None
    source = VideoFileSource(clip, loop=False)
    blur = BlurBackground(0.6)
    frames = 0
    started = time.perf_counter()
    with VideoFileWriter(output, width=source.width, height=source.height, fps=source.fps) as writer:
        while frames < max_frames:
            frame = source.read()
            if frame is None:
                break
            probability = teacher(frame.rgb)
            alpha = cv2.convertScaleAbs(probability, alpha=255.0)
            writer.write(composite(frame.rgb, blur.render(frame.rgb, alpha), alpha))
            frames += 1
    source.close()
    return frames / (time.perf_counter() - started)


def stream_snapshot(clip: Path, seconds: float) -> StatsSnapshot:
    """The live engine's stats after ``seconds`` on ``clip`` paced at its fps, in the default (adaptive) quality mode:
    fps, latency, frames, dropped, and ``quality``, the level it holds at the end (e.g. ``"adaptive: model input
    320x176, new mask every frame"``)."""
    engine = Engine(load_segmenter())
    engine.start(SourceSpec(kind=SourceKind.VIDEO, path=clip, loop=True), _BLUR)
    time.sleep(seconds)
    snapshot = engine.snapshot()
    engine.stop()
    return snapshot


def run_bench(*, clip: Path | None, seconds: float, frames: int, with_peer: bool, rounds: int = 3) -> int:
    """Print the table; process and the peer loop run ``rounds`` times, alternating, and their medians are compared
    (on a 2-core machine one run of either varies by several fps)."""
    if rounds < 1:
        raise ValueError(f"expected at least 1 round, got {rounds}")
    # One inference thread for offline processing (see PROCESS_INFERENCE_THREADS); streaming loads its own.
    process_segmenter = load_segmenter(threads=PROCESS_INFERENCE_THREADS)
    info = process_segmenter.info
    print(f"model {info.model_name} on {info.backend} ({info.device}, {info.precision}); medians on this machine")
    summaries, peer_runs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if clip is None:
            clip = upscaled_clip(demo_clip(), folder / "bench-1280x720.mp4", BENCH_SIZE, frames)
        peer_available = with_peer
        for _ in range(rounds):
            summaries.append(process_video(clip, folder / "process.mp4", _BLUR, process_segmenter, max_frames=frames))
            peer = mediapipe_loop(clip, folder / "peer.mp4", frames) if peer_available else None
            if peer is None:
                peer_available = False  # skipped once (no teacher here): skipped for good
            else:
                peer_runs.append(peer)
        stream = stream_snapshot(clip, seconds)
    process_fps = statistics.median(s.fps for s in summaries)
    summary = sorted(summaries, key=lambda s: s.fps)[len(summaries) // 2]  # its per-stage times are printed
    peer_fps = statistics.median(peer_runs) if peer_runs else None
    rows = [
        (
            "process (ours, blur, decode+encode)",
            f"{process_fps:.1f} fps",
            f"{summary.frames} frames; {_spread([s.fps for s in summaries])}",
        )
    ]
    if peer_fps is not None:
        rows.append(("plain MediaPipe 256x144 loop (same work)", f"{peer_fps:.1f} fps", _spread(peer_runs)))
    rows.append(
        (
            "stream (ours, paced at clip fps)",
            f"{stream.fps:.1f} fps",
            f"latency p50 {stream.latency.p50_ms:.1f} ms, p95 {stream.latency.p95_ms:.1f} ms; {stream.frames} "
            f"frames, {stream.dropped} dropped; ended at {stream.quality or 'no frame rendered'}",
        )
    )
    width = max(len(row[0]) for row in rows)
    print(f"clip: {summary.width}x{summary.height} @ {summary.fps_in:.3g} fps")
    for name, value, detail in rows:
        print(f"{name:<{width}}  {value:>10}  {detail}")
    print(
        "process per-stage ms (p50/p95): "
        + ", ".join(f"{name} {s.p50_ms:.1f}/{s.p95_ms:.1f}" for name, s in summary.stages.items())
    )
    targets = [
        f"process >= 30 fps: {'met' if process_fps >= 30 else 'NOT met'}",
        f"stream latency p95 < 70 ms: {'met' if stream.latency.p95_ms < 70 else 'NOT met'}",
    ]
    if peer_fps is not None:
        targets.append(f"at least as fast as the MediaPipe loop: {'met' if process_fps >= peer_fps else 'NOT met'}")
    print("targets: " + "; ".join(targets))
    return 0


def _spread(values: list[float]) -> str:
    """``"median of N runs, min-max fps"`` for a table cell."""
    if len(values) == 1:
        return "1 run"
    return f"median of {len(values)} runs, {min(values):.1f}-{max(values):.1f} fps"
