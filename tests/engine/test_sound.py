"""``greenroom process`` keeps the input's sound: re-encoded to AAC, cut to the video, pictures untouched."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from app.engine.audio import SoundCopyError, copy_sound, has_sound
from app.engine.process import process_video
from app.engine.settings import BackgroundKind, BackgroundSpec, RenderSettings

TONE_HZ = 440.0
RATE = 44100


def _clip_with_sound(path: Path, *, seconds: float, audio_codec: str) -> Path:
    """A 320x240 30 fps clip with a 440 Hz stereo tone of the same length, encoded with ``audio_codec``."""
    with av.open(str(path), "w") as output:
        video = output.add_stream("mpeg4", rate=30)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio = output.add_stream(audio_codec, rate=RATE, layout="stereo")
        for index in range(round(seconds * 30)):
            picture = np.full((240, 320, 3), (index * 5) % 255, np.uint8)
            output.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        output.mux(video.encode(None))
        times = np.arange(round(seconds * RATE)) / RATE
        wave = (0.3 * np.sin(2 * np.pi * TONE_HZ * times)).astype(np.float32)
        sample_format = audio.codec_context.format.name
        for start in range(0, len(wave), 1024):
            chunk = wave[start : start + 1024]
            if sample_format == "fltp":
                frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
            else:  # packed 16-bit PCM
                packed = (np.stack([chunk, chunk]).T.reshape(1, -1) * 32767).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(packed, format="s16", layout="stereo")
            frame.rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            output.mux(audio.encode(frame))
        output.mux(audio.encode(None))
    return path


def _sound_of(path: Path) -> tuple[str, np.ndarray, int]:
    """(codec name, mono samples as float32, sample rate) of the first audio track."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray().reshape(stream.channels, -1)[0] for frame in container.decode(stream)]
        return stream.codec_context.name, np.concatenate(chunks).astype(np.float32), stream.rate


def _video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(container.streams.video[0]) if packet.size]


def _dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


BLUE = RenderSettings(background=BackgroundSpec(kind=BackgroundKind.COLOR, color=(0, 0, 255)))


@pytest.mark.parametrize(("audio_codec", "suffix"), [("aac", ".mp4"), ("pcm_s16le", ".mkv")])
def test_the_input_sound_is_kept_as_aac(segmenter, tmp_path: Path, audio_codec: str, suffix: str) -> None:
    clip = _clip_with_sound(tmp_path / f"talk{suffix}", seconds=2.0, audio_codec=audio_codec)
    output = tmp_path / "out.mp4"
    summary = process_video(clip, output, BLUE, segmenter)
    assert summary.frames == 60
    assert "sound: aac 44.1 kHz stereo, 2.0 s" in summary.text()
    codec, samples, rate = _sound_of(output)
    assert codec == "aac" and rate == RATE
    assert abs(len(samples) / rate - 2.0) < 0.1
    assert abs(_dominant_hz(samples[RATE // 4 : -RATE // 4], rate) - TONE_HZ) < 5
    with av.open(str(output)) as container:
        assert container.streams.video[0].frames == 60


def test_the_sound_is_cut_to_the_frames_processed(segmenter, tmp_path: Path) -> None:
    clip = _clip_with_sound(tmp_path / "talk.mp4", seconds=2.0, audio_codec="aac")
    output = tmp_path / "out.mp4"
    summary = process_video(clip, output, BLUE, segmenter, max_frames=15)
    assert summary.frames == 15
    _, samples, rate = _sound_of(output)
    assert abs(len(samples) / rate - 0.5) < 0.1


def test_a_clip_without_sound_says_so(segmenter, short_clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    summary = process_video(short_clip, output, BLUE, segmenter)
    assert summary.text().endswith("no sound in the input")
    assert not has_sound(output)


def test_copying_leaves_the_pictures_untouched(tmp_path: Path) -> None:
    clip = _clip_with_sound(tmp_path / "talk.mp4", seconds=1.0, audio_codec="aac")
    pictures = tmp_path / "pictures.mp4"
    with av.open(str(clip)) as source, av.open(str(pictures), "w") as output:
        stream = output.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                output.mux(packet)
    before = _video_packets(pictures)
    assert copy_sound(clip, pictures, 1.0).startswith("sound: aac")
    assert _video_packets(pictures) == before and has_sound(pictures)


def test_a_failed_copy_keeps_the_video_and_says_why(tmp_path: Path, short_clip: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)
    video = tmp_path / "video.mp4"
    video.write_bytes(short_clip.read_bytes())
    with pytest.raises(SoundCopyError, match=r"the sound of broken\.mp4 could not be copied"):
        copy_sound(broken, video, 1.0)
    assert video.read_bytes() == short_clip.read_bytes()
    assert {path.name for path in tmp_path.iterdir()} == {"broken.mp4", "video.mp4"}  # no staging file left
