"""Learning the room: a picture of the empty room from a few seconds of frames, refused when it cannot be right.

``RoomCapture.offer(rgb, prob, now)`` is given every frame with the model's person probability; it keeps
``SAMPLES`` frames spread over ``LEARN_SECONDS``. ``result()`` then gives the per-pixel median of the kept frames,
each first brought to their mean brightness: sensor noise, a flickering light and a passing shadow do not reach the
picture. It refuses, with a reason the user
can act on, when

- someone stays in view: the model sees a person, and the picture moves there between the samples (a still picture
  of a person, a poster on the wall, is part of the room: removing those is what the room picture is for; the
  model's own flicker on them moves no pixel);
- the picture changed: outside anything person-like, more than ``CHANGED_SHARE`` of the picture changed between the
  samples beyond what a change of brightness explains (the camera moved, something moved in view);
- the picture size changed while learning.

With ``on_done``, the median and the checks run on a thread of their own once the samples are in (a fraction of a
second at 720p), so the render thread that offers frames never waits for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.engine.room_plate import check_plate
from app.engine.sources import FrameSource

LEARN_SECONDS = 3.0
SAMPLES = 15  # odd: the median is one of the samples' values
CHECK_WIDTH = 160  # the checks compare the samples at this width
PERSON_PROB = 0.5  # the model sees a person where its probability is at least this...
PERSON_SHARE = 0.002  # ...over more than this share of the picture
MOVING_DIFF = 20  # a grey level (0-255) that changes by more than this between samples has moved
PERSON_MOVING_SHARE = 0.02  # a person-like area moving in more than this share of itself is someone in view
CHANGED_SHARE = 0.05  # outside person-like areas, more than this share changing means the picture changed


class RoomCaptureError(ValueError):
    """Learning the room was refused; the message says why and what to do."""


@dataclass(frozen=True)
class RoomLearned:
    """What learning gave: ``plate`` (H, W, 3) uint8 RGB, or None with ``error`` saying why it was refused."""

    plate: np.ndarray | None
    error: str = ""


class RoomCapture:
    """Collects the samples of one attempt; ``offer`` every frame until it returns True, then ``result()``."""

    def __init__(
        self,
        *,
        seconds: float = LEARN_SECONDS,
        samples: int = SAMPLES,
        on_done: Callable[[RoomLearned], None] | None = None,
    ) -> None:
        """``on_done``: called (on a thread of its own) with the result once the samples are in."""
        if samples < 3 or seconds <= 0:
            raise ValueError(f"expected at least 3 samples over more than 0 seconds, got {samples} over {seconds}")
        self._interval = seconds / (samples - 1)
        self._samples = samples
        self._on_done = on_done
        self._frames: list[np.ndarray] = []
        self._probs: list[np.ndarray] = []
        self._next_at: float | None = None
        self.collected = False

    def cancel(self) -> None:
        """Stop collecting (the user gave up, or no frames came): ``offer`` returns True and ``on_done`` is not
        called."""
        self.collected = True

    def due(self, now: float) -> bool:
        """True when a frame given at ``now`` (seconds) would be kept: callers that segment only for learning need
        the model's mask of those frames alone."""
        return not self.collected and (self._next_at is None or now >= self._next_at)

    def offer(self, rgb: np.ndarray, prob: np.ndarray, now: float) -> bool:
        """Keep ``rgb`` ((H, W, 3) uint8 RGB) and ``prob`` ((h, w) float32 in [0, 1], the model's person probability
        for it) when a sample is due at ``now`` (seconds). True once all samples are in (then ``on_done`` starts)."""
        if self.collected:
            return True
        if not self.due(now):
            return False
        self._frames.append(rgb.copy())
        self._probs.append(prob.copy())
        self._next_at = now + self._interval if self._next_at is None else self._next_at + self._interval
        if len(self._frames) < self._samples:
            return False
        self.collected = True
        if self._on_done is not None:
            threading.Thread(target=self._finish, name="greenroom-learn-room", daemon=True).start()
        return True

    def _finish(self) -> None:
        assert self._on_done is not None
        try:
            learned = RoomLearned(self.result())
        except RoomCaptureError as error:
            learned = RoomLearned(None, str(error))
        except Exception as error:  # reported to the user, who can try again; the stream is not affected
            learned = RoomLearned(None, f"learning the room failed ({type(error).__name__}: {error})")
        self._on_done(learned)

    def result(self) -> np.ndarray:
        """The room picture: the per-pixel median of the samples, (H, W, 3) uint8 RGB. Raises ``RoomCaptureError``
        when there are too few samples or when the checks refuse them."""
        if len(self._frames) < 3:
            raise RoomCaptureError("too few frames came to learn the room from; try again")
        check_samples(self._frames, self._probs)
        stack = np.stack(_same_exposure(self._frames))
        return check_plate(np.ascontiguousarray(np.sort(stack, axis=0)[len(self._frames) // 2]))


def _same_exposure(frames: list[np.ndarray]) -> list[np.ndarray]:
    """``frames`` ((H, W, 3) uint8 RGB each) brought to their mean brightness per channel: a flickering light or an
    exposure that hunts would otherwise put the median of a few samples on one side of the flicker."""
    height, width = frames[0].shape[:2]
    size = (CHECK_WIDTH, max(1, round(height * CHECK_WIDTH / width)))
    means = np.array([cv2.mean(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))[:3] for frame in frames])
    gains = means.mean(axis=0) / np.maximum(means, 1.0)
    return [
        frame if np.allclose(gain, 1.0, atol=0.002) else cv2.transform(frame, np.diag(gain).astype(np.float32))
        for frame, gain in zip(frames, gains, strict=True)
    ]


def check_samples(frames: list[np.ndarray], probs: list[np.ndarray]) -> None:
    """Raise ``RoomCaptureError`` when ``frames`` ((H, W, 3) uint8 RGB each) with the model's ``probs`` ((h, w)
    float32 in [0, 1] each) show someone in view or a picture that changed; see the module's description."""
    shape = frames[0].shape
    if any(frame.shape != shape for frame in frames):
        raise RoomCaptureError("the camera's picture size changed while learning; try again")
    height, width = shape[:2]
    size = (CHECK_WIDTH, max(1, round(height * CHECK_WIDTH / width)))
    small = [cv2.resize(frame, size, interpolation=cv2.INTER_AREA) for frame in frames]
    greys = [cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) for frame in small]
    levels = np.array([max(float(grey.mean()), 1.0) for grey in greys])
    reference = float(np.median(levels))
    pairs = zip(greys, levels, strict=True)
    normalised = np.stack([grey.astype(np.float32) * (reference / level) for grey, level in pairs])
    moving = (normalised.max(axis=0) - normalised.min(axis=0)) > MOVING_DIFF
    people = np.stack([cv2.resize(prob, size, interpolation=cv2.INTER_LINEAR) >= PERSON_PROB for prob in probs])
    union = people.any(axis=0)
    person_like = cv2.dilate(np.asarray(union, np.uint8), np.ones((5, 5), np.uint8)) > 0
    if union.mean() > PERSON_SHARE and moving[person_like].mean() > PERSON_MOVING_SHARE:
        raise RoomCaptureError("someone is in view: step out of the camera's view and try again")
    outside = ~person_like
    if outside.any() and moving[outside].mean() > CHANGED_SHARE:
        raise RoomCaptureError(
            "the picture changed while learning (the camera moved, or something moved in view): hold the camera "
            "still and try again"
        )


def learn_from_source(
    source: FrameSource,
    segment: Callable[[np.ndarray], np.ndarray],
    *,
    seconds: float = LEARN_SECONDS,
    delay: float = 0.0,
    on_start: Callable[[], None] | None = None,
) -> np.ndarray:
    """The room picture from ``source`` (``greenroom learn-room``): frames are skipped for ``delay`` seconds (time
    for the user to step out of view), then learned from for ``seconds`` with ``segment`` ((H, W, 3) uint8 RGB ->
    (h, w) float32 person probability in [0, 1]) run on the kept frames. A camera's time is the clock's, a file's its
    frames' (``fps``). ``on_start`` is called when learning begins. Raises ``RoomCaptureError`` when the checks refuse
    the frames or the source ends first."""
    capture = RoomCapture(seconds=seconds)
    started = time.monotonic()
    read = 0
    learning_from: float | None = None
    while True:
        frame = source.read()
        if frame is None:
            raise RoomCaptureError(
                f"the source ended after {read / source.fps:.1f} s; learning needs {delay + seconds:g} s of frames "
                f"({delay:g} s to step out of view, then {seconds:g} s of the empty room)"
            )
        now = time.monotonic() - started if source.realtime else read / source.fps
        read += 1
        if now < delay:
            continue
        if learning_from is None:
            learning_from = now
            if on_start is not None:
                on_start()
        if capture.due(now) and capture.offer(frame.rgb, segment(frame.rgb), now):
            return capture.result()
