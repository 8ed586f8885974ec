"""Hard negatives in front of people: a monitor, the back of one, or a desk partition hiding a person's body below
the head.

In a wide view of an office, someone seated further back often shows only a head over a monitor or a partition. The
network, which has seen heads above bodies, takes the dark block under the head for the body (the model card's
distant-people clip: a solid black L-shaped monitor kept as person). Copy-paste composites never show a person behind
anything. ``paste_screen_in_front`` draws such a thing over the lower part of a sample's person and labels it
background: the person's mask is cleared where it covers them.

The thing is a quadrilateral (a rectangle whose corners move by up to ``SKEW`` of its width across and of the
person's height up and down, for the view's perspective) with a 1-3 px soft edge:
- its top edge between ``TOP_RANGE`` of the person's height below their top (under the chin to mid-chest for a
  person seen to the waist or whole), so the head and often the shoulders stay in view. Only people at most
  ``MAX_PERSON_SHARE`` of the frame tall get one: in a close-up that share of the person is their face;
- its width ``WIDTH_RANGE`` times the person's, centred near theirs;
- its bottom a share ``BOTTOM_RANGE`` of the way from its top to the frame's bottom edge;
- it looks like one of three things: a screen (near black, tinted, a bezel a few pixels wide, a faint gloss from top
  to bottom), the back of a monitor (flat plastic grey, lit from above), or a partition or panel (a crop of a
  person-free photo, blurred a little).
"""

from __future__ import annotations

import cv2
import numpy as np

from segmentation.training.augment import blend_over, crop_around_person

TOP_RANGE = (0.2, 0.5)  # the top edge, as a share of the person's height below their top
MAX_PERSON_SHARE = 0.6  # a person taller than this share of the frame (a close-up: the face) is left alone
WIDTH_RANGE = (0.7, 1.8)  # the width, as a multiple of the person's
BOTTOM_RANGE = (0.5, 1.0)  # how far from its top edge to the frame's bottom the thing reaches
SKEW = 0.06  # each corner moves by up to this share of the thing's width across, of the person's height up/down
MIN_PERSON_PIXELS = 64  # a person of fewer pixels is left alone


def paste_screen_in_front(
    image: np.ndarray, mask: np.ndarray, texture_source: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``image`` ((H, W, 3) uint8 RGB) and ``mask`` ((H, W) float32 in [0, 1]) with a screen, the back of a monitor
    or a partition drawn over the person's body below the head, and the mask cleared under it; ``texture_source``
    is any (h, w, 3) uint8 RGB photo without people (the partition's surface). Samples whose person covers fewer
    than ``MIN_PERSON_PIXELS`` or is taller than ``MAX_PERSON_SHARE`` of the frame come back unchanged."""
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) < MIN_PERSON_PIXELS:
        return image, mask
    height, width = mask.shape
    top, bottom = int(ys.min()), int(ys.max()) + 1
    left, right = int(xs.min()), int(xs.max()) + 1
    person_height, person_width = bottom - top, right - left
    if person_height > MAX_PERSON_SHARE * height:
        return image, mask
    edge_top = top + rng.uniform(*TOP_RANGE) * person_height
    edge_bottom = edge_top + rng.uniform(*BOTTOM_RANGE) * (height - edge_top)
    edge_bottom = max(edge_bottom, min(float(height), edge_top + 0.1 * height))
    thing_width = rng.uniform(*WIDTH_RANGE) * person_width
    centre = (left + right) / 2 + rng.normal(0.0, 0.25 * person_width)
    corners = np.array(
        [
            [centre - thing_width / 2, edge_top],
            [centre + thing_width / 2, edge_top],
            [centre + thing_width / 2, edge_bottom],
            [centre - thing_width / 2, edge_bottom],
        ]
    )
    corners += rng.uniform(-SKEW, SKEW, (4, 2)) * [thing_width, person_height]
    shape = np.zeros((height, width), np.uint8)
    cv2.fillPoly(shape, [np.round(corners).astype(np.int32)], 255)
    if not shape.any():
        return image, mask
    soft_edge = 2 * int(rng.integers(1, 4)) + 1
    alpha = cv2.GaussianBlur(shape.astype(np.float32) / 255.0, (soft_edge, soft_edge), 0)
    return blend_over(_surface(shape, texture_source, rng), image, alpha), (mask * (1.0 - alpha)).astype(np.float32)


def _surface(shape: np.ndarray, texture_source: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB: what the thing in ``shape`` ((H, W) uint8, 255 inside) looks like, drawn over the whole
    frame (only the part under the shape shows)."""
    height, width = shape.shape
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    kind = rng.random()
    if kind < 0.5:  # a screen: near black with a tint, a faint gloss, a bezel a little lighter or darker
        base = rng.uniform(4, 45) + rng.uniform(-6, 6, 3)
        gloss = rng.uniform(-10, 18) * (1.0 - rows)
        surface = np.broadcast_to(base, (height, width, 3)) + gloss
        bezel = int(rng.integers(2, 7))
        inner = cv2.erode(shape, np.ones((2 * bezel + 1, 2 * bezel + 1), np.uint8))
        ring = (shape > 0) & (inner == 0)
        surface = np.array(surface, np.float32)
        surface[ring] = rng.uniform(10, 70)
    elif kind < 0.75:  # the back of a monitor: flat plastic, lit from above
        base = rng.uniform(40, 210) + rng.uniform(-8, 8, 3)
        surface = np.broadcast_to(base, (height, width, 3)) * (1.0 - rng.uniform(0.0, 0.35) * rows)
    else:  # a partition or panel: a crop of a person-free photo, a little out of focus
        no_person = np.zeros(texture_source.shape[:2], np.float32)  # so the crop is placed anywhere in the photo
        crop, _ = crop_around_person(texture_source, no_person, (width, height), rng, min_area=0.25)
        surface = cv2.GaussianBlur(crop, (0, 0), 1.5)
    surface = np.asarray(surface, np.float32) + rng.normal(0.0, 2.0, (height, width, 3)).astype(np.float32)
    return np.clip(surface, 0, 255).astype(np.uint8)
