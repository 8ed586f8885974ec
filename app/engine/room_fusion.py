"""Fusing the person mask with the difference from a picture of the empty room (``room_plate.py``).

Where the frame matches the room, it is room; where it differs, something is in front. Per frame
(``RoomFusion.fuse(rgb, prob, alpha)``):

1. At a working size (``WORK_WIDTH`` wide: 1/4 of 720p) the frame is compared with the plate. A gain per channel is
   estimated from pixels that are surely room (far from anything the model calls person, and not saturated in the
   plate), in two passes that leave out pixels that differ: cameras change exposure and white balance, most of all
   when someone walks in. The difference is the largest of the three channels' |frame - gain * plate|; its threshold
   follows the noise measured on the surely-room pixels (within bounds), so sensor noise and compression never count
   as a difference, and specks of difference too small to be anyone are dropped.
2. The share of the surely-room pixels that differ tells whether the plate still matches (of all of them, and of the
   textured ones alone: a camera that moved a little changes the edges in the room, not its flat walls). A frame
   with too many is not fused at all; when that lasts ``LOSE_SECONDS`` (the camera moved, the light changed, a door
   opened wide) the state turns to not matching, and back only after ``REGAIN_SECONDS`` of frames that match again.
3. While it matches, the room takes away from the model's person what matches the room (a poster or a framed photo
   of a person, a lamp, a chair back): the model's alpha is multiplied by where the frame differs (holes that differing
   pixels enclose are filled, so a shirt the colour of the wall is kept). In the band where the model is unsure, the
   difference at full resolution sets the edge (hair, shoulders), inside the band only. Nowhere else can the room
   raise the model's alpha: a shadow or a reflection the person casts on the wall differs from the room too, and must
   not become a person.

Any failure in here leaves the model's alpha as it was (``RoomFusion.fuse`` catches it and reports not matching):
the room picture can only ever hide more of the room.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import cv2
import numpy as np

from app.engine.room_plate import RoomPlateError, fit_plate

WORK_WIDTH = 320  # the comparison's working width in pixels (frames narrower than this are compared as they are)
SURE_ROOM_PROB = 0.05  # model probability below which a pixel may be surely room...
SURE_ROOM_MARGIN = 0.03  # ...if it is also this far (share of the width) from anything above it: shadows, halos
PLATE_RANGE = (6, 249)  # plate values outside this range (black, clipped) tell nothing about the gain
MIN_ROOM_SHARE = 0.05  # with less surely-room area than this share of the picture, the frame cannot be judged
TEXTURE_DIFF = 24  # plate pixels whose 3x3 neighbourhood spans more grey levels than this are textured
MIN_TEXTURE_SHARE = 0.01  # with less textured surely-room area than this share, it is not judged on its own
MIN_DIFF = 10  # a working-size difference (0-255) always below this is noise
MAX_DIFF = 24  # ...and one above this always differs, however noisy the picture seems
NOISE_FACTOR = 4.0  # a difference counts when above this many times the median difference of surely-room pixels
FULL_MIN_DIFF = 12  # full-resolution differences (after a 3x3 median) below this are room...
FULL_RAMP = 16  # ...and this far above the threshold fully person
GAIN_STEP = 0.01  # the full-size plate is scaled again when the gain moves by more than this (2.5 grey levels at 255)
BAND_PROB = (0.1, 0.9)  # the model is unsure between these probabilities...
BAND_GROWTH = 2  # ...and within this many working-size pixels of them
SPECK_SHARE = 0.001  # regions of difference smaller than this share of the picture are noise (58 pixels at 320x180)
KEEP_GROWTH = 1  # differing areas are grown by this many working-size pixels before they take away from the model
MISMATCH_FACTOR = 2.0  # a surely-room pixel differs (for the match check) beyond this many times the threshold:
# textured pixels (edges) carry more noise, resampling and compression differences than flat ones
BAD_SHARE = 0.2  # a frame whose surely-room pixels (all, or the textured ones) differ beyond this share: not fused
GOOD_SHARE = 0.1  # below this share a frame counts towards matching again
LOSE_SECONDS = 0.3  # frames above BAD_SHARE for this long: not matching
REGAIN_SECONDS = 1.0  # frames below GOOD_SHARE for this long: matching again
LIGHT_GAIN_RANGE = (0.6, 1.6)  # a gain outside this range means the light changed, not the exposure


class RoomState(StrEnum):
    """What the window's state line shows."""

    IN_USE = "in use"
    NOT_MATCHING = "not matching"


@dataclass(frozen=True)
class RoomStatus:
    """``state``, and ``reason`` (why it does not match, for example "the camera moved"; "" while in use)."""

    state: RoomState
    reason: str = ""

    def describe(self) -> str:
        """``in use`` or ``not matching: the camera moved``."""
        return f"{self.state}: {self.reason}" if self.reason else str(self.state)


@dataclass(frozen=True)
class _Comparison:
    """One frame against the plate at working size: ``gain`` per channel (RGB), ``diff`` (h, w) uint8, ``threshold``,
    ``room`` (h, w) uint8 255 where surely room, ``mismatch`` the share of those pixels that differ (None: too few to
    judge)."""

    gain: tuple[float, float, float]
    diff: np.ndarray
    threshold: int
    room: np.ndarray
    mismatch: float | None


class RoomFusion:
    """The room picture of one stream: ``use_plate`` sets it (None: no room), ``fuse`` applies it to each frame."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._plate: np.ndarray | None = None  # as given, (H, W, 3) uint8 RGB
        self._fitted_size: tuple[int, int] = (0, 0)
        self._fitted: np.ndarray = np.empty((0, 0, 3), np.uint8)  # the plate at the frames' size
        self._gained: np.ndarray = np.empty((0, 0, 3), np.uint8)  # that times the gain ``_gained_for``
        self._gained_for = (0.0, 0.0, 0.0)
        self._small_rgb: np.ndarray = np.empty((0, 0, 3), np.uint8)  # the plate at working size
        self._small: Sequence[np.ndarray] = []  # the same, one plane per channel
        self._grid_rgb: np.ndarray = np.empty((0, 0, 3), np.uint8)  # every other pixel of that, for the gain
        self._usable: np.ndarray = np.empty((0, 0), np.uint8)  # (h, w) 255 where the plate is neither black nor clipped
        self._textured: np.ndarray = np.empty((0, 0), np.uint8)  # (h, w) 255 where it is also textured
        self.status: RoomStatus | None = None  # None while there is no plate
        self._bad_since: float | None = None
        self._good_since: float | None = None
        self.last_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
        self.last_mismatch: float | None = None
        self.applied = False  # whether the last frame was fused
        self.skip_reason = ""  # why it was not (when there is a room picture)

    def use_plate(self, plate: np.ndarray | None) -> None:
        """Use ``plate`` ((H, W, 3) uint8 RGB, checked by the caller) from the next frame on; None forgets it."""
        self._plate = plate
        self._fitted_size = (0, 0)
        self._bad_since = self._good_since = None
        self.status = None if plate is None else RoomStatus(RoomState.IN_USE)

    def not_usable(self, reason: str) -> None:
        """No plate can be used, and the state line should say why (a file that could not be read)."""
        self.use_plate(None)
        self.status = RoomStatus(RoomState.NOT_MATCHING, reason)

    def fuse(self, rgb: np.ndarray, prob: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """``alpha`` with the room applied while it matches; ``alpha`` untouched otherwise.

        ``rgb`` (H, W, 3) uint8 RGB, the frame; ``prob`` (h, w) float32 in [0, 1], the model's person probability at
        any size; ``alpha`` (H, W) uint8 in [0, 255], the model's full-resolution alpha: it is changed in place and
        returned. Never raises: a failure leaves ``alpha`` as it came and reports not matching.
        """
        self.applied = False
        self.skip_reason = ""
        if self._plate is None:
            return alpha
        try:
            return self._fuse(rgb, prob, alpha)
        except RoomPlateError as error:
            self._set(RoomStatus(RoomState.NOT_MATCHING, str(error)))
        except Exception as error:  # the room must never cost the mask: the model's alpha stays as it is
            self._set(RoomStatus(RoomState.NOT_MATCHING, f"the comparison failed ({type(error).__name__}: {error})"))
        return alpha

    def _fuse(self, rgb: np.ndarray, prob: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        if (width, height) != self._fitted_size:
            self._fit(width, height)
        size = (self._usable.shape[1], self._usable.shape[0])
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR) if size != (width, height) else rgb
        prob8 = cv2.convertScaleAbs(cv2.resize(prob, size, interpolation=cv2.INTER_LINEAR), alpha=255.0)
        comparison = self._compare(small, prob8)
        self.last_mismatch = comparison.mismatch
        if not self._judge(comparison, small):
            return alpha
        self.applied = True
        self.last_gain = comparison.gain
        # Only around what the model calls person does the room change anything: the work is done there alone.
        margin = BAND_GROWTH + KEEP_GROWTH + 2
        x, y, w, h = cv2.boundingRect(_above(prob8, 0))
        if w == 0 or h == 0:
            return alpha
        near = (slice(max(0, y - margin), y + h + margin), slice(max(0, x - margin), x + w + margin))
        differs = _filled(
            _without_specks(_above(comparison.diff[near], comparison.threshold), SPECK_SHARE * prob8.size)
        )
        keep, band = np.zeros_like(prob8), np.zeros_like(prob8)
        keep[near] = cv2.dilate(differs, _square(KEEP_GROWTH))
        unsure = cv2.inRange(prob8[near], round(255 * BAND_PROB[0]), round(255 * BAND_PROB[1]))
        band[near] = cv2.bitwise_and(
            cv2.dilate(unsure, _square(BAND_GROWTH)), cv2.dilate(keep[near], _square(BAND_GROWTH))
        )
        self._take_away(alpha, prob8, keep, band)
        self._set_edges(rgb, alpha, band, comparison)
        return alpha

    def _fit(self, width: int, height: int) -> None:
        """Prepare the plate for frames of ``width`` x ``height``; raises ``RoomPlateError`` for another shape."""
        assert self._plate is not None
        fitted = fit_plate(self._plate, width, height)
        scale = min(1.0, WORK_WIDTH / width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(fitted, size, interpolation=cv2.INTER_LINEAR) if scale < 1.0 else fitted
        self._fitted, self._small_rgb, self._small = fitted, small, list(cv2.split(small))
        grid = (max(1, size[0] // 2), max(1, size[1] // 2))
        self._grid_rgb = cv2.resize(small, grid, interpolation=cv2.INTER_NEAREST)
        self._gained_for = (0.0, 0.0, 0.0)
        low, high = PLATE_RANGE
        self._usable = cv2.inRange(small, (low, low, low), (high, high, high))
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        edges = _above(cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, _square(1)), TEXTURE_DIFF)
        self._textured = cv2.bitwise_and(self._usable, edges)
        self._fitted_size = (width, height)

    def _compare(self, small: np.ndarray, prob8: np.ndarray) -> _Comparison:
        """The frame at working size ((h, w, 3) uint8 RGB) against the plate, with the gain and noise measured on
        surely-room pixels (``prob8``: the model's probability at working size, 0-255)."""
        height, width = prob8.shape
        person = _above(prob8, round(255 * SURE_ROOM_PROB))
        person = cv2.dilate(person, _square(max(1, round(SURE_ROOM_MARGIN * width))))
        room = cv2.bitwise_and(cv2.bitwise_not(person), self._usable)
        frame = cv2.split(small)
        if cv2.countNonZero(room) < MIN_ROOM_SHARE * width * height:
            return _Comparison(self.last_gain, _difference(frame, self._small, self.last_gain), 255, room, None)
        # The gain from every other pixel (plenty for three numbers), twice: the second time without the pixels that
        # differ even with the first estimate.
        grid = (self._grid_rgb.shape[1], self._grid_rgb.shape[0])
        grid_frame = cv2.resize(small, grid, interpolation=cv2.INTER_NEAREST)
        grid_room = cv2.resize(room, grid, interpolation=cv2.INTER_NEAREST)
        grid_plate = cv2.split(self._grid_rgb)
        gain = _gain(grid_frame, self._grid_rgb, grid_room)
        grid_diff = _difference(cv2.split(grid_frame), grid_plate, gain)
        inliers = cv2.bitwise_and(grid_room, _at_most(grid_diff, _threshold(grid_diff, grid_room)))
        if cv2.countNonZero(inliers) >= MIN_ROOM_SHARE * grid[0] * grid[1]:
            gain = _gain(grid_frame, self._grid_rgb, inliers)
            grid_diff = _difference(cv2.split(grid_frame), grid_plate, gain)
        threshold = _threshold(grid_diff, grid_room)
        diff = _difference(frame, self._small, gain)
        differing = _above(diff, MISMATCH_FACTOR * threshold)
        mismatch = cv2.countNonZero(cv2.bitwise_and(room, differing)) / cv2.countNonZero(room)
        textured = cv2.bitwise_and(room, self._textured)
        if cv2.countNonZero(textured) >= MIN_TEXTURE_SHARE * width * height:  # where a moved camera shows most
            textured_mismatch = cv2.countNonZero(cv2.bitwise_and(textured, differing)) / cv2.countNonZero(textured)
            mismatch = max(mismatch, textured_mismatch)
        return _Comparison(gain, diff, threshold, room, mismatch)

    def _judge(self, comparison: _Comparison, small: np.ndarray) -> bool:
        """Update the state from this frame's mismatch; True when this frame is to be fused."""
        now, mismatch = self._clock(), comparison.mismatch
        if mismatch is None:  # someone fills the picture: nothing to judge by, so the model's mask alone
            self.skip_reason = "too little of the room was in view to compare with"
            return False
        matching = self.status is not None and self.status.state is RoomState.IN_USE
        if mismatch > BAD_SHARE:
            self._good_since = None
            self._bad_since = now if self._bad_since is None else self._bad_since
            if matching and now - self._bad_since >= LOSE_SECONDS:
                self._set(RoomStatus(RoomState.NOT_MATCHING, self._why(comparison, small)))
            self.skip_reason = self.status.reason if self.status is not None and self.status.reason else "it differed"
            return False
        self._bad_since = None
        if not matching and mismatch < GOOD_SHARE:
            self._good_since = now if self._good_since is None else self._good_since
            if now - self._good_since >= REGAIN_SECONDS:
                self._set(RoomStatus(RoomState.IN_USE))
        elif not matching:
            self._good_since = None
        if self.status is not None and self.status.state is RoomState.IN_USE:
            return True
        self.skip_reason = self.status.reason if self.status is not None else ""
        return False

    def _why(self, comparison: _Comparison, small: np.ndarray) -> str:
        """Why the room stopped matching: the light (a gain far from 1), the camera (the picture shifted), or else
        something in the room changed."""
        low, high = LIGHT_GAIN_RANGE
        if any(not low <= value <= high for value in comparison.gain):
            return "the light changed"
        grey_frame = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
        grey_plate = cv2.cvtColor(cv2.merge(self._small), cv2.COLOR_RGB2GRAY).astype(np.float32)
        (shift_x, shift_y), response = cv2.phaseCorrelate(grey_plate, grey_frame)
        if response > 0.05 and np.hypot(shift_x, shift_y) >= 1.0:
            return "the camera moved"
        return "the room changed (the camera moved, the light changed or a door opened)"

    def _set(self, status: RoomStatus) -> None:
        self.status = status
        self._bad_since = self._good_since = None

    def _take_away(self, alpha: np.ndarray, prob8: np.ndarray, keep: np.ndarray, band: np.ndarray) -> None:
        """Multiply ``alpha`` by ``keep`` (working size, 255 where the frame differs from the room), within the
        bounding box of what it takes away from the model's person (nothing, most frames without a poster). The
        ``band`` gets its alpha from the full-resolution difference instead."""
        removed = cv2.bitwise_and(_above(prob8, round(255 * BAND_PROB[0])), cv2.bitwise_not(cv2.bitwise_or(keep, band)))
        box = _box(removed, keep.shape, alpha.shape, margin=2)
        if box is None:
            return
        (x0, y0, x1, y1), (left, top, right, bottom) = box
        soft = cv2.blur(keep[y0:y1, x0:x1], (3, 3))
        full = cv2.resize(soft, (right - left, bottom - top), interpolation=cv2.INTER_LINEAR)
        alpha[top:bottom, left:right] = cv2.multiply(alpha[top:bottom, left:right], full, scale=1.0 / 255.0)

    def _gained_plate(self, gain: tuple[float, float, float]) -> np.ndarray:
        """The full-size plate times ``gain`` ((H, W, 3) uint8 RGB); made again only when the gain has moved by more
        than ``GAIN_STEP`` since (a slow drift costs one full-size pass every few frames, not every frame)."""
        if max(abs(new - old) for new, old in zip(gain, self._gained_for, strict=True)) > GAIN_STEP:
            planes = cv2.split(self._fitted)
            scaled = [cv2.convertScaleAbs(plane, alpha=value) for plane, value in zip(planes, gain, strict=True)]
            self._gained = cv2.merge(scaled)
            self._gained_for = gain
        return self._gained

    def _set_edges(self, rgb: np.ndarray, alpha: np.ndarray, band: np.ndarray, comparison: _Comparison) -> None:
        """In ``band`` (working size, 255 where the model is unsure), the alpha from the full-resolution difference."""
        box = _box(band, band.shape, alpha.shape, margin=0)
        if box is None:
            return
        (x0, y0, x1, y1), (left, top, right, bottom) = box
        diff = cv2.absdiff(rgb[top:bottom, left:right], self._gained_plate(comparison.gain)[top:bottom, left:right])
        diff = cv2.medianBlur(_largest_channel(diff), 3)
        low = max(FULL_MIN_DIFF, comparison.threshold)
        scale = 255.0 / FULL_RAMP
        edge = cv2.addWeighted(diff, scale, diff, 0.0, -low * scale)  # (diff - low) * scale, saturated to 0-255
        inside = cv2.resize(band[y0:y1, x0:x1], (right - left, bottom - top), interpolation=cv2.INTER_LINEAR)
        cv2.copyTo(edge, _above(inside, 127), alpha[top:bottom, left:right])  # in place, in the view


def _largest_channel(diff: np.ndarray) -> np.ndarray:
    """Per pixel, the largest of the three channels of ``diff`` ((h, w, 3) uint8) as (h, w) uint8."""
    red, green, blue = cv2.split(diff)
    return cv2.max(cv2.max(red, green), blue)


def _difference(
    frame: Sequence[np.ndarray], plate: Sequence[np.ndarray], gain: tuple[float, float, float]
) -> np.ndarray:
    """Per pixel, the largest of the channels' |frame - gain * plate|: (h, w) uint8. ``frame`` and ``plate`` are the
    R, G, B planes ((h, w) uint8 each) of one size."""
    largest: np.ndarray | None = None
    for frame_plane, plate_plane, channel_gain in zip(frame, plate, gain, strict=True):
        channel = cv2.absdiff(frame_plane, cv2.convertScaleAbs(plate_plane, alpha=channel_gain))
        largest = channel if largest is None else cv2.max(largest, channel)
    assert largest is not None
    return largest


def _gain(frame: np.ndarray, plate: np.ndarray, where: np.ndarray) -> tuple[float, float, float]:
    """Per channel, mean of ``frame`` over mean of ``plate`` (both (h, w, 3) uint8 RGB) on ``where`` ((h, w) uint8,
    nonzero = use), each in [0.25, 4]."""
    frame_means, plate_means = cv2.mean(frame, mask=where), cv2.mean(plate, mask=where)
    gains = [min(max(frame_means[c] / max(plate_means[c], 1.0), 0.25), 4.0) for c in range(3)]
    return gains[0], gains[1], gains[2]


def _threshold(diff: np.ndarray, room: np.ndarray) -> int:
    """The difference (0-255) above which a pixel differs: ``NOISE_FACTOR`` times the median of ``diff`` on the
    surely-room pixels ``room``, from ``MIN_DIFF`` to ``MAX_DIFF`` (when the whole room differs, its median says so
    and is no noise level)."""
    histogram = cv2.calcHist([diff], [0], room, [256], [0, 256]).ravel()
    total = histogram.sum()
    median = int(np.searchsorted(np.cumsum(histogram), total / 2)) if total else 0
    return int(min(max(MIN_DIFF, NOISE_FACTOR * median), MAX_DIFF))


def _above(image: np.ndarray, level: float) -> np.ndarray:
    """(h, w) uint8: 255 where the uint8 ``image`` is above ``level``, else 0."""
    return cv2.threshold(image, level, 255, cv2.THRESH_BINARY)[1]


def _at_most(image: np.ndarray, level: float) -> np.ndarray:
    """(h, w) uint8: 255 where the uint8 ``image`` is at most ``level``, else 0."""
    return cv2.threshold(image, level, 255, cv2.THRESH_BINARY_INV)[1]


def _without_specks(mask: np.ndarray, speck: float) -> np.ndarray:
    """``mask`` ((h, w) uint8, 0 or 255) without its 8-connected regions smaller than ``speck`` pixels: noise and
    compression leave small spots of difference along the room's edges, where nobody is."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    small = stats[1:, cv2.CC_STAT_AREA] < speck
    if not small.any():
        return mask
    keep = np.concatenate([[0], np.where(small, 0, 255)]).astype(np.uint8)
    return keep[cast(np.ndarray, labels)]


def _filled(mask: np.ndarray) -> np.ndarray:
    """``mask`` ((h, w) uint8, 0 or 255) with the holes it encloses filled: areas cut off from the picture's border."""
    outside = cv2.copyMakeBorder(cv2.bitwise_not(mask), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(outside, None, (0, 0), 0)
    return cv2.bitwise_or(mask, outside[1:-1, 1:-1])


def _square(radius: int) -> np.ndarray:
    return np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)


def _box(
    mask: np.ndarray, small_shape: tuple[int, ...], full_shape: tuple[int, ...], *, margin: int
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None:
    """The bounding box of ``mask``'s nonzero pixels at working size (grown by ``margin``) and the same box at full
    size, as (x0, y0, x1, y1) each; None when ``mask`` is empty."""
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return None
    small_height, small_width = small_shape[:2]
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(small_width, x + w + margin), min(small_height, y + h + margin)
    scale_x, scale_y = full_shape[1] / small_width, full_shape[0] / small_height
    full = (
        int(x0 * scale_x),
        int(y0 * scale_y),
        min(full_shape[1], int(np.ceil(x1 * scale_x))),
        min(full_shape[0], int(np.ceil(y1 * scale_y))),
    )
    return (x0, y0, x1, y1), full
