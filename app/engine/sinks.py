"""Where output frames go: the virtual camera (pyvirtualcam) and mp4 files.

``VideoFileWriter`` writes every frame it is given (offline processing). ``PacedSink`` runs its own thread that
emits the newest output frame at a steady fps, re-sending the last one when no new frame arrived (a video call
expects a steady stream). ``VirtualCameraSink`` and ``RecorderSink`` are paced sinks. All are context managers
whose ``close()`` is idempotent; opening problems raise ``SinkError`` with a message that says what to do.
"""

from __future__ import annotations

import errno
import os
import platform
import shutil
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from app.engine.events import EngineEvent, EventCallback, EventKind, EventSource, ignore_event
from app.engine.paths import PathKind, UnusablePathError, path_kind, special_file_message
from app.engine.slot import LatestSlot


class SinkError(RuntimeError):
    """A sink cannot be opened or written."""


def virtual_camera_help() -> str:
    """How to get a virtual camera device on this operating system."""
    system = platform.system()
    if system == "Linux":
        return (
            "install v4l2loopback (Debian/Ubuntu: sudo apt install v4l2loopback-dkms) and load it with: "
            'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="Greenroom"'
        )
    if system in ("Windows", "Darwin"):
        return "install OBS Studio (version 26.1 or newer) and start its Virtual Camera once so the device exists"
    return "no virtual camera driver is known for this operating system"


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


def fit_to(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Fit an (H, W, 3) uint8 frame into width x height (after a source switch), else return it unchanged.

    The aspect ratio is kept: a frame of another shape (a 4:3 camera into a 16:9 stream) is scaled to fit and
    centred on black bars, so people are never stretched and nothing of the picture is cut off.
    """
    frame_height, frame_width = rgb.shape[:2]
    if frame_width == width and frame_height == height:
        return rgb
    scale = min(width / frame_width, height / frame_height)
    fitted_width = min(width, max(1, round(frame_width * scale)))
    fitted_height = min(height, max(1, round(frame_height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    fitted = cv2.resize(rgb, (fitted_width, fitted_height), interpolation=interpolation)
    if (fitted_width, fitted_height) == (width, height):
        return fitted
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - fitted_height) // 2, (width - fitted_width) // 2
    canvas[top : top + fitted_height, left : left + fitted_width] = fitted
    return canvas


MIN_FREE_BYTES = 32 * 2**20  # below this much free space a writer stops, while the file can still be finished
_SPACE_CHECK_EVERY = 30  # frames between free-space checks (about a second of video)
_BITS_PER_PIXEL = 0.12  # MPEG-4 Part 2 bit rate per pixel and frame: 3.3 Mbit/s at 1280x720, 30 fps
_KEYFRAME_EVERY = 12  # frames; a fragment ends at each key frame, so a crash loses at most this many
_FRAGMENTED_MP4 = "frag_keyframe+empty_moov+default_base_moof"
# One encoder thread: every writer already runs on a thread of its own beside the render pipeline. FFmpeg's default
# (a thread per core) made `process` 2% slower (67.2 against 68.8 fps, 4 alternating rounds) and the live latency no
# different while recording (p50 21-22 ms either way).
ENCODER_THREADS = 1


def check_output_path(path: Path) -> None:
    """Raise ``SinkError``, saying what to do, unless ``path`` names an .mp4 file that can be created in an existing
    folder this process may write to (a probe file is created and removed there)."""
    if path.name in ("", ".", ".."):
        raise SinkError("no output file given; give an .mp4 file, for example out.mp4")
    try:
        kind, folder_kind = path_kind(path), path_kind(path.parent)
    except UnusablePathError as error:
        raise SinkError(str(error)) from None
    if kind is PathKind.FOLDER:
        raise SinkError(f"{path} is a folder; give an .mp4 file in it, for example {path / 'out.mp4'}")
    if kind is PathKind.PIPE:  # a device is written like a file (and a full one says so when written)
        raise SinkError(special_file_message(path))
    if kind is PathKind.FILE and not os.access(path, os.W_OK):  # found out only after the whole run otherwise
        raise SinkError(f"cannot write {path}: the file exists and may not be changed; choose another name")
    if path.suffix.lower() != ".mp4":
        raise SinkError(f"output must be an .mp4 file, got {path.name}")
    folder = path.parent
    if folder_kind is not PathKind.FOLDER:
        raise SinkError(f"cannot write {path}: the folder {folder} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".greenroom-write-test-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise SinkError(f"cannot write to the folder {folder} ({reason}); choose a folder you can write to") from error


def check_not_an_input(output: Path, inputs: dict[str, Path | None]) -> None:
    """Raise ``SinkError`` if ``output`` is the same file as one of ``inputs`` (what each is called for the user, for
    example ``{"the input": ..., "the background video": ...}``; ``None`` entries are skipped).

    Compares the files themselves where both exist, so another spelling of the path, a symlink or a hard link to an
    input is caught too; writing there would destroy the input the output is made from.
    """
    for role, source in inputs.items():
        if source is None:
            continue
        try:
            same = output.exists() and source.exists() and os.path.samefile(output, source)
        except OSError:
            same = False
        if same or output.resolve() == source.resolve():
            raise SinkError(f"{output} is {role}; writing there would destroy it, so choose another output file")


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
        return fit_to(rgb, self.width, self.height)

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


class PacedSink:
    """Base for sinks that emit the newest frame of ``slot`` every 1/fps seconds on their own thread."""

    name = "sink"

    def __init__(self, slot: LatestSlot, *, fps: float, on_event: EventCallback = ignore_event) -> None:
        self._slot = slot
        self._period = 1.0 / fps
        self._on_event = on_event
        self._stop_requested = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"greenroom-{self.name}", daemon=True)
        self.frames_sent = 0
        self.new_frames_sent = 0
        self.failure: str | None = None  # why the sink stopped early, if it did

    def start(self) -> None:
        self._thread.start()

    def _emit(self, rgb: np.ndarray) -> None:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        try:
            self._send_until_stopped()
        finally:  # released by this thread only, so never while a frame is being sent
            try:
                self._release()
            except Exception as error:  # a driver failing to close must not leave a traceback on the console
                self._on_event(EngineEvent(EventKind.ERROR, self.name, f"{self.name} did not close cleanly: {error}"))

    def _send_until_stopped(self) -> None:
        last_version = -1
        next_due = time.monotonic()
        try:
            while not self._stop_requested.is_set():
                output, version = self._slot.peek()
                if output is not None:
                    self._emit(output.rgb)
                    self.frames_sent += 1
                    if version != last_version:
                        self.new_frames_sent += 1
                        last_version = version
                next_due += self._period
                delay = next_due - time.monotonic()
                if delay < -self._period:  # fell far behind (machine stalled): re-anchor, do not burst
                    next_due = time.monotonic()
                elif delay > 0:
                    self._stop_requested.wait(delay)
        except Exception as error:  # a sink failing must not take the stream down
            self.failure = f"{self.name} stopped: {error}"
            self._on_event(EngineEvent(EventKind.ERROR, self.name, self.failure))

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread, which then releases the device or file; safe to call twice. Waits up to ``timeout``
        seconds for it (one frame takes milliseconds); a thread stuck in the driver for longer releases when it
        returns, and the wait is cut short rather than releasing the device under it."""
        self._stop_requested.set()
        if self._thread.ident is None:  # never started
            self._release()
        else:
            self._thread.join(timeout)

    def __enter__(self) -> PacedSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VirtualCameraSink(PacedSink):
    """Sends frames to a virtual camera through pyvirtualcam (v4l2loopback, OBS Virtual Camera, ...)."""

    name = EventSource.VIRTUAL_CAMERA

    def __init__(
        self,
        slot: LatestSlot,
        *,
        width: int,
        height: int,
        fps: float,
        device: str | None = None,
        backend: str | None = None,
        on_event: EventCallback = ignore_event,
    ) -> None:
        import pyvirtualcam

        super().__init__(slot, fps=fps, on_event=on_event)
        try:
            self._camera = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.RGB, device=device, backend=backend
            )
        except Exception as error:  # pyvirtualcam raises RuntimeError listing every backend's failure
            reason = " / ".join(line.strip() for line in str(error).splitlines() if line.strip()) or "no backend"
            raise SinkError(f"no virtual camera available: {virtual_camera_help()} (details: {reason})") from None
        self.width, self.height = width, height
        self.device = self._camera.device
        self.backend = self._camera.backend
        self._released = False

    def _emit(self, rgb: np.ndarray) -> None:
        self._camera.send(np.ascontiguousarray(fit_to(rgb, self.width, self.height)))

    def _release(self) -> None:
        if not self._released:
            self._released = True
            self._camera.close()


class RecorderSink(PacedSink):
    """Records the live output to an mp4 file at a steady fps."""

    name = EventSource.RECORDER

    def __init__(
        self,
        slot: LatestSlot,
        path: Path,
        *,
        width: int,
        height: int,
        fps: float,
        on_event: EventCallback = ignore_event,
    ) -> None:
        super().__init__(slot, fps=fps, on_event=on_event)
        self._writer = VideoFileWriter(path, width=width, height=height, fps=fps, crash_safe=True)
        self.path = path

    def _emit(self, rgb: np.ndarray) -> None:
        self._writer.write(rgb)

    def _release(self) -> None:
        self._writer.close()
