""" "Only me": keep the person at the camera, give everyone else the background.

A person segmenter marks every person. ``MainPersonFilter`` picks one of them, the main person, and follows them from
frame to frame; every other person region is removed from the mask. It works on the model's low-resolution mask
(288x160 at the default input), so it costs a fraction of a millisecond.

Per frame (``filter(raw, smoothed)``):

1. Person regions are the 8-connected components of ``raw >= 0.5``, the model's own mask of this frame. Specks
   smaller than ``MIN_REGION_SHARE`` of the picture are never candidates.
2. Searching (no lock): the region with the best score, area times closeness to the centre, becomes the main person
   if it covers at least ``MIN_LOCK_SHARE`` of the picture.
3. Locked: a region matches when most of it (``KEEP_OVERLAP``) lies where the main person was in the previous
   frame, widened by ``MOVEMENT_SHARE`` of the picture's width to allow for movement. Of the matches, the main
   person is the one nearest to where they were when last seen alone (the anchor); other matches are kept only if
   they are small beside it and touch its edge (a hand or an arm the mask cut off: less than ``PART_SHARE`` of its
   area, mostly within ``PART_REACH_SHARE`` of the picture's width of it). Someone who
   touches or overlaps the main person is one region with them and is kept while they touch (the mask cannot tell
   them apart); when they step apart, the anchor decides who the main person is, and the other is removed. Someone
   who only passes close by is a region of their own, mostly outside that band: they never join, and cannot take the
   lock while the main person is in view.
4. Lost: when no region is where the main person was, the output has no person at all (the background alone, never
   the other people). A region that appears where they were last seen takes the lock back at once; after
   ``REACQUIRE_SECONDS`` the best-scoring region anywhere does.

The kept region is applied to the *smoothed* mask (the temporal smoother sees every person, so a region that is
removed never fades out over several frames: it is gone in the frame it is removed), and a soft edge stays with the
region it borders (pixels within ``EDGE_PX`` of a kept region keep their value).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

MIN_REGION_SHARE = 0.002  # a region smaller than this share of the picture is a speck, never a candidate
MIN_LOCK_SHARE = 0.01  # the main person covers at least 1% of the picture
KEEP_OVERLAP = 0.5  # a region joins the main person when this share of it lies where they were
MOVEMENT_SHARE = 0.06  # how far (share of the picture's width) the main person may move between two frames
REACQUIRE_SECONDS = 2.0  # after this long without the main person, the best person anywhere takes the lock
EDGE_PX = 2  # soft edge pixels this close to a kept region keep their value (low-resolution pixels)
PART_SHARE = 0.3  # a second matching region smaller than this share of the main one is part of them (a hand)...
PART_REACH_SHARE = 0.03  # ...if it also lies mostly this close to them (share of the picture's width)
MERGE_GROWTH = 1.4  # a main region this much larger than the person alone has someone touching them
MERGE_PATIENCE = 45  # frames after which a larger region is taken as the person's new size (they came closer)


class LockState(StrEnum):
    """What the window's indicator shows."""

    SEARCHING = "searching"  # nobody locked yet, or the main person left and has not come back
    LOCKED = "locked"


@dataclass(frozen=True)
class OnlyMeResult:
    """``mask`` (h, w) float32 in [0, 1], the smoothed mask with everyone but the main person removed; ``state``."""

    mask: np.ndarray
    state: LockState


class MainPersonFilter:
    """Follows the main person across frames of one stream; ``reset()`` forgets them (a new source)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._region: np.ndarray | None = None  # (h, w) bool: where the main person was in the last frame
        self._last_seen: np.ndarray | None = None  # (h, w) bool: their region when they were last in view
        self._lost_since: float | None = None
        self._anchor: np.ndarray | None = None  # (x, y) centroid of the main person when last seen alone
        self._alone_area = 0.0  # their area then
        self._grown_frames = 0  # frames in a row their region has been much larger than that
        self.state = LockState.SEARCHING

    def reset(self) -> None:
        self._region = self._last_seen = self._lost_since = self._anchor = None
        self._alone_area, self._grown_frames = 0.0, 0
        self.state = LockState.SEARCHING

    def _remember_alone(self, centroid: np.ndarray, area: float, *, force: bool = False) -> None:
        """Move the anchor to the main person's region unless it has grown by someone touching them."""
        grown = self._alone_area > 0 and area > MERGE_GROWTH * self._alone_area
        self._grown_frames = self._grown_frames + 1 if grown else 0
        if force or not grown or self._grown_frames > MERGE_PATIENCE:
            self._anchor, self._alone_area, self._grown_frames = centroid.copy(), area, 0

    def filter(self, raw: np.ndarray, smoothed: np.ndarray) -> OnlyMeResult:
        """Keep the main person of ``raw`` (this frame's model mask) in ``smoothed`` (the mask the app shows); both
        (h, w) float32 in [0, 1] of one size. When the size changes (the adaptive mode moved to another input size),
        what is known of the main person is scaled to it: the lock holds."""
        self._rescale(raw.shape)
        count, labels, stats, centroids = cv2.connectedComponentsWithStats(
            (raw >= 0.5).astype(np.uint8), connectivity=8
        )
        height, width = raw.shape
        areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
        candidates = [index + 1 for index in range(count - 1) if areas[index] >= MIN_REGION_SHARE * raw.size]
        kept = self._follow(labels, candidates, areas, centroids) if self._region is not None else []
        if not kept and self._region is not None:  # they left in this frame
            self._region, self._lost_since = None, self._clock()
        if not kept:
            kept = self._acquire(labels, candidates, areas, centroids, (width, height))
            if kept:
                self._remember_alone(centroids[kept[0]], float(areas[kept[0] - 1]), force=True)
        if kept:
            region = np.isin(labels, kept)
            self._region, self._last_seen, self._lost_since = region, region, None
            self.state = LockState.LOCKED
            return OnlyMeResult(_keep_region(smoothed, region), self.state)
        self.state = LockState.SEARCHING
        return OnlyMeResult(np.zeros_like(smoothed), self.state)

    def _rescale(self, shape: tuple[int, ...]) -> None:
        """Scale the remembered regions, anchor and area to masks of ``shape`` (h, w)."""
        known = self._region if self._region is not None else self._last_seen
        if known is None or known.shape == shape:
            return
        old_height, old_width = known.shape
        height, width = shape[:2]

        def scaled(region: np.ndarray | None) -> np.ndarray | None:
            if region is None:
                return None
            return cv2.resize(region.view(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST).view(bool)

        self._region, self._last_seen = scaled(self._region), scaled(self._last_seen)
        if self._anchor is not None:
            self._anchor = self._anchor * np.array([width / old_width, height / old_height])
        self._alone_area *= (width * height) / (old_width * old_height)

    def _follow(self, labels: np.ndarray, candidates: list[int], areas: np.ndarray, centroids: np.ndarray) -> list[int]:
        """The main person's regions in this frame: of the regions lying mostly where they were, the one nearest the
        anchor, and those small beside it (parts of them)."""
        assert self._region is not None
        band = _widen(self._region, MOVEMENT_SHARE)
        matches = [label for label in candidates if _share_inside(labels == label, band) >= KEEP_OVERLAP]
        if len(matches) <= 1:
            if matches:
                self._remember_alone(centroids[matches[0]], float(areas[matches[0] - 1]))
            return matches
        anchor = self._anchor if self._anchor is not None else centroids[matches[0]]
        main = min(matches, key=lambda label: float(np.hypot(*(centroids[label] - anchor))))
        self._remember_alone(centroids[main], float(areas[main - 1]))
        reach = _widen(labels == main, PART_REACH_SHARE)
        return [main] + [
            label
            for label in matches
            if label != main
            and areas[label - 1] < PART_SHARE * areas[main - 1]
            and _share_inside(labels == label, reach) >= KEEP_OVERLAP
        ]

    def _acquire(
        self,
        labels: np.ndarray,
        candidates: list[int],
        areas: np.ndarray,
        centroids: np.ndarray,
        size: tuple[int, int],
    ) -> list[int]:
        """The region to lock on, if any: one where the main person was last seen; else, while searching from the
        start or after ``REACQUIRE_SECONDS`` lost, the best by area and closeness to the centre."""
        if not candidates:
            return []
        if self._last_seen is not None:
            band = _widen(self._last_seen, MOVEMENT_SHARE)
            returning = [label for label in candidates if _share_inside(labels == label, band) >= KEEP_OVERLAP]
            if returning:
                return returning
            waited = self._clock() - self._lost_since if self._lost_since is not None else REACQUIRE_SECONDS
            if waited < REACQUIRE_SECONDS:
                return []
        width, height = size
        best, best_score = 0, 0.0
        for label in candidates:
            area = areas[label - 1]
            if area < MIN_LOCK_SHARE * width * height:
                continue
            centre_x, centre_y = centroids[label]
            off_centre = np.hypot((centre_x - width / 2) / width, (centre_y - height / 2) / height)  # 0 .. 0.71
            score = area * (1.0 - off_centre)
            if score > best_score:
                best, best_score = label, score
        return [best] if best else []


def _widen(region: np.ndarray, share: float) -> np.ndarray:
    """``region`` grown by ``share`` of its width in every direction (a square neighbourhood: OpenCV dilates with a
    rectangle in two 1-D passes, several times faster than with a disc)."""
    radius = max(1, round(share * region.shape[1]))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(region.view(np.uint8), kernel).view(bool)


def _share_inside(component: np.ndarray, band: np.ndarray) -> float:
    """The share of ``component``'s pixels that lie in ``band`` (both (h, w) bool)."""
    total = int(component.sum())
    return float(np.logical_and(component, band).sum() / total) if total else 0.0


def _keep_region(mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """``mask`` where it belongs to ``region`` (the region and its soft edge, ``EDGE_PX`` around it), else 0."""
    kernel = np.ones((2 * EDGE_PX + 1, 2 * EDGE_PX + 1), np.uint8)
    support = cv2.dilate(region.view(np.uint8), kernel)
    return cv2.multiply(mask, support, dtype=cv2.CV_32F)
