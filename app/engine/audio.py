"""Sound for ``greenroom process``: the video writer encodes pictures only, so the input's sound is added afterwards.

``copy_sound(source, video_only, seconds)`` reads the first audio track of ``source`` with PyAV (FFmpeg), re-encodes
it to AAC (every player and video call app reads AAC in mp4, whatever the input used: PCM, Opus, MP3, ...), cuts it
to ``seconds``, and writes it with the untouched video packets of ``video_only`` into a new mp4 that then replaces
``video_only``. The pictures are not decoded or encoded again.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


class SoundCopyError(RuntimeError):
    """The input's sound could not be added to the output (the output's pictures are unaffected)."""


def has_sound(path: Path) -> bool:
    """True if ``path`` is a media file with at least one audio track (False for an unreadable file)."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except (av.FFmpegError, OSError):
        return False


def copy_sound(source: Path, video_only: Path, seconds: float) -> str:
    """Add the first audio track of ``source``, cut to ``seconds``, to the mp4 ``video_only`` in place.

    Returns a description such as ``"sound: aac 48 kHz stereo, 12.0 s"``; raises ``SoundCopyError`` (leaving
    ``video_only`` as it was) when the sound cannot be read or written.
    """
    staging = video_only.with_name(f".{video_only.stem}.sound{video_only.suffix}")
    try:
        written = _mux(source, video_only, staging, seconds)
        os.replace(staging, video_only)
    except (av.FFmpegError, OSError, ValueError) as error:
        raise SoundCopyError(f"the sound of {source.name} could not be copied ({error})") from error
    finally:
        staging.unlink(missing_ok=True)  # gone after the replace; removed after a failure or an interruption
    return written


def _mux(source: Path, video_only: Path, destination: Path, seconds: float) -> str:
    with (
        av.open(str(source)) as sound_input,
        av.open(str(video_only)) as picture_input,
        av.open(str(destination), "w", format="mp4") as output,
    ):
        if not sound_input.streams.audio:
            raise ValueError(f"{source.name} has no audio track")
        audio_in = sound_input.streams.audio[0]
        video_in = picture_input.streams.video[0]
        video_out = output.add_stream_from_template(video_in)
        rate = min(_AAC_RATES, key=lambda candidate: abs(candidate - (audio_in.rate or 48000)))
        layout = "mono" if audio_in.channels == 1 else "stereo"
        audio_out = output.add_stream("aac", rate=rate, layout=layout)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

        for packet in picture_input.demux(video_in):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = video_out
            output.mux(packet)

        samples_wanted = round(seconds * rate)
        samples_written = 0
        for frame in sound_input.decode(audio_in):
            for converted in resampler.resample(frame):
                if samples_written >= samples_wanted:
                    break
                converted.pts = samples_written
                converted.time_base = Fraction(1, rate)
                samples_written += converted.samples
                output.mux(audio_out.encode(converted))
            if samples_written >= samples_wanted:
                break
        output.mux(audio_out.encode(None))
    if samples_written == 0:
        raise ValueError(f"{source.name} has an audio track without any sound in it")
    return f"sound: aac {rate / 1000:g} kHz {layout}, {samples_written / rate:.1f} s"
