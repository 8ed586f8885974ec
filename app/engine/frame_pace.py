"""How far a video file's frames are from an even pace. ``greenroom process`` writes its output at a constant frame
rate, so a variable-rate input (phones record them) comes out with its frames moved in time, off its sound."""

from __future__ import annotations

from pathlib import Path

import av


def largest_pace_drift(path: Path, fps: float) -> float:
    """Seconds: the largest distance between a frame's own time in ``path`` and the time it gets at a constant
    ``fps`` (frame i at i / fps from the first). Reads packet times only, nothing is decoded. 0.0 when the file's
    frame times cannot be read, or for fewer than two frames."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base
            if time_base is None:
                return 0.0
            times = sorted(
                float(packet.pts * time_base) for packet in container.demux(stream) if packet.pts is not None
            )
    except (av.FFmpegError, OSError, IndexError):
        return 0.0
    if len(times) < 2 or fps <= 0:
        return 0.0
    return max(abs(time - times[0] - index / fps) for index, time in enumerate(times))
