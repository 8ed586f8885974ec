"""A second look at a small person: the model runs again on a crop around them, and that sharper mask is written
back into the frame's mask.

At the default input (288x160) a person who fills a small part of the frame (someone standing across the room, a
head behind a monitor) covers a few hundred mask cells, too few for the model to tell trousers from the chair
behind them. The crop around that person, resized to the same pixel budget, shows the model 1.4-4 times as many
pixels across them. The crop's mask is area-averaged back into the frame's grid, so everything downstream (temporal
smoothing, guided upsampling, "Only me", the room picture) sees a mask of the usual size.

The crop, in cells of the first pass's (h, w) grid:
- the box of the regions above ``PERSON_THRESHOLD`` (regions under ``MIN_PART`` of the largest one are stray cells,
  a bottle or a lamp, and do not widen it);
- widened on every side by ``MARGIN`` of its longer side in frame pixels, and below by ``BELOW`` of its height where
  that is more, so that a person found only in part is still inside it: what is missing is most often below, the
  body under a head seen over a desk, dark trousers under a lit shirt (where that widening would make the crop too
  large for a second pass, ``MARGIN`` alone);
- each side rounded up to a step of ``SIDE_LADDER`` (a quarter of the frame's side at least, the whole side at most),
  and both grown up that ladder until the crop holds at least the budget's pixels of the frame: the second pass
  never magnifies the camera's pixels, which blurs them;
- placed about the box in quarters of its own size (``POSITION_STEPS``), within the frame, where it holds the box
  and its margin (one step of the ladder longer where no such place does).
  Rounding size and place to coarse steps keeps one crop while a person sits still: a crop that moved a cell at
  every frame would change the second pass's mask with it, and the edges would flicker. (A box whose size sits
  right at a step of the ladder can still switch between two crops from frame to frame, and so can one whose crop
  reaching below sits right at ``MAX_AREA``);
- none when nothing is above the threshold (nobody to look at) or when the crop would cover more than ``MAX_AREA``
  of the frame (a gain under 1.4x per side is not worth a second pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

PERSON_THRESHOLD = 0.5  # cells of the first pass that count as the person
MIN_PART = 0.1  # a region under this share of the largest one's area does not widen the crop
MARGIN = 0.25  # widening on every side, as a share of the box's longer side in frame pixels
BELOW = 0.75  # widening below, as a share of the box's height, where that is more than MARGIN gives
SIDE_LADDER = tuple(2.0 ** (-step / 4) for step in range(9))  # the crop's side as a share of the frame's: 1 to 0.25
POSITION_STEPS = 4  # the crop moves in steps of 1/4 of its own size
MAX_AREA = 0.5  # a crop over this share of the frame is not worth a second pass


@dataclass(frozen=True)
class ZoomCrop:
    """Where the second pass looks. ``cells``: (x0, y0, x1, y1) in the first pass's mask grid, ends exclusive;
    ``pixels``: the same rectangle in frame pixels, ends exclusive, within the frame."""

    cells: tuple[int, int, int, int]
    pixels: tuple[int, int, int, int]


def zoom_crop(mask: np.ndarray, frame_width: int, frame_height: int, pixel_budget: int) -> ZoomCrop | None:
    """The crop around the small person in ``mask``, (h, w) float32 person probability in [0, 1] of a frame of
    ``frame_width`` x ``frame_height`` pixels segmented at ``pixel_budget``; None where no second pass is due.
    Where reaching ``BELOW`` under the box would make the crop too large for a second pass, the crop keeps to
    ``MARGIN`` on every side."""
    box = _person_box(mask)
    if box is None:
        return None
    for below in (BELOW, 0.0):
        crop = _crop_about(box, mask.shape, frame_width, frame_height, pixel_budget, below)
        if crop is not None:
            return crop
    return None


def _crop_about(
    box: tuple[int, int, int, int],
    grid_shape: tuple[int, ...],
    frame_width: int,
    frame_height: int,
    pixel_budget: int,
    below: float,
) -> ZoomCrop | None:
    """``zoom_crop`` for the person's ``box`` in a grid of ``grid_shape`` (h, w), widened below by ``below`` of its
    height where that is more than ``MARGIN`` gives; None where the crop would cover more than ``MAX_AREA``."""
    left, top, right, bottom = box
    grid_height, grid_width = grid_shape
    cell_width, cell_height = frame_width / grid_width, frame_height / grid_height
    margin = MARGIN * max((right - left) * cell_width, (bottom - top) * cell_height)  # frame pixels
    margin_below = max(margin, below * (bottom - top) * cell_height)
    width_step = _ladder_step(((right - left) * cell_width + 2 * margin) / frame_width)
    height_step = _ladder_step(((bottom - top) * cell_height + margin + margin_below) / frame_height)
    while SIDE_LADDER[width_step] * SIDE_LADDER[height_step] * frame_width * frame_height < pixel_budget:
        if width_step == height_step == 0:
            break
        if width_step >= height_step:
            width_step -= 1
        else:
            height_step -= 1
    x0, x1 = _span(left, right, margin / cell_width, margin / cell_width, width_step, grid_width)
    y0, y1 = _span(top, bottom, margin / cell_height, margin_below / cell_height, height_step, grid_height)
    if (x1 - x0) * (y1 - y0) > MAX_AREA * grid_width * grid_height:
        return None
    pixels = (
        round(x0 * cell_width),
        round(y0 * cell_height),
        min(frame_width, round(x1 * cell_width)),
        min(frame_height, round(y1 * cell_height)),
    )
    return ZoomCrop((x0, y0, x1, y1), pixels)


def _person_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom), ends exclusive, in cells: the box of the regions above ``PERSON_THRESHOLD`` of at
    least ``MIN_PART`` of the largest one's area; None where there is none."""
    person = (mask > PERSON_THRESHOLD).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(person, connectivity=8)
    if count <= 1:
        return None
    stats = stats[1:]  # row 0 is the background
    areas = stats[:, cv2.CC_STAT_AREA]
    kept = stats[areas >= MIN_PART * areas.max()]
    lefts, tops = kept[:, cv2.CC_STAT_LEFT], kept[:, cv2.CC_STAT_TOP]
    rights, bottoms = lefts + kept[:, cv2.CC_STAT_WIDTH], tops + kept[:, cv2.CC_STAT_HEIGHT]
    return int(lefts.min()), int(tops.min()), int(rights.max()), int(bottoms.max())


def _ladder_step(share: float) -> int:
    """Index of the smallest ``SIDE_LADDER`` share that is at least ``share`` (0, the whole side, where none is)."""
    fitting = [step for step, side in enumerate(SIDE_LADDER) if side >= share]
    return fitting[-1] if fitting else 0


def _span(
    low: int, high: int, margin_before: float, margin_after: float, ladder_step: int, limit: int
) -> tuple[int, int]:
    """``[start, end)`` in cells along one axis: ``SIDE_LADDER[ladder_step]`` of ``limit`` cells long, about the box
    ``[low, high)`` and its margins, starting on a step of a ``POSITION_STEPS``-th of its length, within
    ``[0, limit]``, and holding the box with ``margin_before`` cells before it and ``margin_after`` after it (as far as
    the frame has them). Where neither step beside the centred place holds it, the next longer side of the ladder is
    tried."""
    wanted_low, wanted_high = max(0.0, low - margin_before), min(float(limit), high + margin_after)
    for step in range(ladder_step, -1, -1):
        size = round(SIDE_LADDER[step] * limit)
        stride = max(1.0, size / POSITION_STEPS)
        centred = ((low - margin_before + high + margin_after) / 2 - size / 2) / stride
        for place in sorted({math.floor(centred), math.ceil(centred)}, key=lambda place: abs(place - centred)):
            start = min(max(round(place * stride), 0), limit - size)
            if start <= wanted_low and start + size >= wanted_high:
                return start, start + size
    return 0, limit


def paste_detail(mask: np.ndarray, crop: ZoomCrop, detail: np.ndarray) -> np.ndarray:
    """A copy of ``mask`` ((h, w) float32 in [0, 1]) whose ``crop.cells`` hold ``detail`` ((dh, dw) float32 in
    [0, 1], the second pass's mask of the crop) area-averaged onto them."""
    x0, y0, x1, y1 = crop.cells
    if detail.ndim != 2 or detail.size == 0:
        raise ValueError(f"expected the crop's (h, w) mask, got shape {detail.shape}")
    if not (0 <= x0 < x1 <= mask.shape[1] and 0 <= y0 < y1 <= mask.shape[0]):
        raise ValueError(f"the crop's cells {crop.cells} do not lie within a {mask.shape[1]}x{mask.shape[0]} mask")
    composed = mask.copy()
    averaged = cv2.resize(detail, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    np.clip(averaged, 0.0, 1.0, out=composed[y0:y1, x0:x1])  # averaging 1.0s in float32 can give 1.0000001
    return composed
