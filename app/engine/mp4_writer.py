"""``VideoFileWriter``: (H, W, 3) uint8 RGB frames to an mp4 file (MPEG-4 Part 2 video, PyAV/FFmpeg), with checks on
the disk's free space; and what the mp4 codec does to a frame's size (``encoded_side``, ``even_sides_note``).
"""

from __future__ import annotations

import errno
import shutil
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from app.engine.fitting import contain_fit
from app.engine.output_paths import SinkError, check_output_path


def encoded_side(side: int) -> int:
    """The frame side an mp4 written by ``VideoFileWriter`` has for a source ``side``: rounded down to even (the YUV
    4:2:0 the codec needs), at least 2."""
    return max(2, side - side % 2)


def even_sides_note(width: int, height: int) -> str:
    """For a summary line: ``""`` when the mp4 keeps ``width`` x ``height``, else what it lost (``encoded_side``),
    starting with ``"; "``."""
    lost = [name for name, side in (("column", width), ("row", height)) if encoded_side(side) != side]
    if not lost:
        return ""
    return (
        f"; written at {encoded_side(width)}x{encoded_side(height)}: the mp4 video codec needs even sides, so the last "
        f"{' and '.join(lost)} of pixels {'was' if len(lost) == 1 else 'were'} cut"
    )


MIN_FREE_BYTES = 32 * 2**20  # below this much free space a writer stops, while the file can still be finished
_SPACE_CHECK_EVERY = 30  # frames between free-space checks (about a second of video)
_BITS_PER_PIXEL = 0.12  # MPEG-4 Part 2 bit rate per pixel and frame: 3.3 Mbit/s at 1280x720, 30 fps
_KEYFRAME_EVERY = 12  # frames; a fragment ends at each key frame, so a crash loses at most this many
_FRAGMENTED_MP4 = "frag_keyframe+empty_moov+default_base_moof"
# One encoder thread: every writer already runs on a thread of its own beside the render pipeline. FFmpeg's default
# (a thread per core) made `process` 2% slower (67.2 against 68.8 fps, 4 alternating rounds) and the live latency no
# different while recording (p50 21-22 ms either way).
ENCODER_THREADS = 1


def disk_is_full(path: Path) -> bool:
    """True if the disk that holds ``path`` has less than ``MIN_FREE_BYTES`` free, where a writer stops; False when
    that cannot be told (the folder or the drive is gone)."""
    try:
        return shutil.disk_usage(path.parent).free < MIN_FREE_BYTES
    except OSError:
        return False


def _is_disk_full(error: Exception) -> bool:
    return getattr(error, "errno", None) == errno.ENOSPC


def _write_failure(error: Exception) -> str:
    """Why a write failed, in words: the system's message without its error number and the file's name (the
    message names the file already)."""
    if _is_disk_full(error):
        return "the disk is full"
    return getattr(error, "strerror", None) or str(error)


def check_free_space(path: Path) -> None:
    """Raise ``SinkError`` if the disk that holds ``path`` has less than ``MIN_FREE_BYTES`` free.

    Stopping while there is room to finish the file keeps what was written playable; a failed write itself raises
    too (``VideoFileWriter.write``), but by then the disk may have no room left for the file's end.
    """
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        raise SinkError(
            f"the disk that holds {path} is nearly full ({free / 2**20:.0f} MB free); free some space or write "
            "somewhere else"
        )


class VideoFileWriter:
    """An mp4 (MPEG-4 Part 2 video, PyAV/FFmpeg) writer for (H, W, 3) uint8 RGB frames of one size.

    With ``crash_safe=True`` the file is a fragmented mp4 (a fragment per key frame, every ``_KEYFRAME_EVERY``
    frames): if the process is killed or the power fails, everything up to the last fragment still plays. Frames
    are encoded at ``width`` and ``height`` rounded down to even numbers (the YUV 4:2:0 the codec needs): an odd
    side loses its last row or column.

    A writer that is closed with ``discard=True`` (or never received a frame) removes its partial file. Opening
    raises ``SinkError`` for a path that cannot be written (``check_output_path``) or a nearly full disk
    (``check_free_space``); ``write`` raises it when the disk fills up or writing fails (a removed drive, a
    quota), and what was written until then is still finished into a playable file by ``close`` where the disk
    allows.
    """

    def __init__(
        self, path: Path, *, width: int, height: int, fps: float, crash_safe: bool = False, shown_as: Path | None = None
    ) -> None:
        """``shown_as``: the file that messages name instead of ``path`` (``process`` writes to a hidden staging file
        in the same folder and renames it at the end; the user knows only the final name)."""
        self.path = path
        self._shown = shown_as or path
        check_output_path(path)
        check_free_space(self._shown)
        self.width, self.height = encoded_side(width), encoded_side(height)
        # Each fragment goes to the disk as soon as it is complete, not when 32 KB have gathered in the buffer.
        options = {"movflags": _FRAGMENTED_MP4, "flush_packets": "1"} if crash_safe else {}
        try:
            self._container = av.open(str(path), "w", format="mp4", options=options)
            self._stream = self._container.add_stream("mpeg4", rate=Fraction(fps).limit_denominator(1001))
        except (av.FFmpegError, OSError) as error:
            path.unlink(missing_ok=True)
            raise SinkError(
                f"cannot write {self._shown} ({_write_failure(error)}); check the folder and the disk"
            ) from error
        self._stream.width, self._stream.height, self._stream.pix_fmt = self.width, self.height, "yuv420p"
        self._stream.bit_rate = round(_BITS_PER_PIXEL * self.width * self.height * fps)
        self._stream.codec_context.gop_size = _KEYFRAME_EVERY
        self._stream.codec_context.thread_count = ENCODER_THREADS
        self._yuv = np.empty((self.height * 3 // 2, self.width), np.uint8)  # I420, reused: PyAV copies it per frame
        self.frames_written = 0
        self._closed = False

    def write(self, rgb: np.ndarray) -> None:
        """Encode one (H, W, 3) uint8 RGB frame (fitted to the writer's size if it differs)."""
        if self.frames_written % _SPACE_CHECK_EVERY == 0:
            check_free_space(self._shown)
        # OpenCV's RGB to I420 takes 0.5 ms at 1280x720, FFmpeg's own conversion from rgb24 4.0 ms.
        cv2.cvtColor(self._fitted(rgb), cv2.COLOR_RGB2YUV_I420, dst=self._yuv)
        frame = av.VideoFrame.from_ndarray(self._yuv, format="yuv420p")
        frame.pts = self.frames_written
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.FFmpegError, OSError) as error:
            if _is_disk_full(error):
                raise SinkError(
                    f"writing {self._shown} failed: the disk is full; free some space or write somewhere else"
                ) from error
            raise SinkError(
                f"writing {self._shown} failed ({_write_failure(error)}); the disk may be full, read-only or removed"
            ) from error
        self.frames_written += 1

    def _fitted(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` at the writer's size: a frame of the size asked for loses an odd side's last row or column (a view,
        no resampling); a frame of any other size (after a source switch) goes through ``fit_to``."""
        height, width = rgb.shape[:2]
        if 0 <= height - self.height <= 1 and 0 <= width - self.width <= 1:
            return rgb[: self.height, : self.width]
        return contain_fit(rgb, self.width, self.height)

    def close(self, *, discard: bool = False) -> None:
        """Finish the file, or remove it with ``discard``; safe to call twice. Raises ``SinkError`` if the file
        cannot be finished (its disk is full or gone): with ``crash_safe`` it still plays up to its last fragment."""
        if self._closed:
            return
        self._closed = True
        try:
            try:
                if not discard and self.frames_written:
                    self._container.mux(self._stream.encode(None))  # the frames still inside the encoder
            finally:
                self._container.close()
        except (av.FFmpegError, OSError) as error:
            if not discard:
                raise SinkError(
                    f"{self._shown} could not be finished ({_write_failure(error)}); check the disk"
                ) from error
        finally:
            if discard or self.frames_written == 0:
                self.path.unlink(missing_ok=True)

    def __enter__(self) -> VideoFileWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.close(discard=exc_type is not None)
