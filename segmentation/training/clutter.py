"""Hard negatives: the room's things a person segmenter takes for people, drawn behind the people of a sample.

Users' rooms have flags, posters, signs and lettering, monitors, lamps and coats on chairs; a model that has seen
few of them marks parts of them as person (a flag behind a man in a suit, a street sign beside a walker, a banner's
letters around a raised arm). ``paste_clutter`` draws one such thing into a sample *behind* its people (it shows only
where the mask says background, in proportion to ``1 - mask``), so the label stays as it is: background.

Images are (H, W, 3) uint8 RGB, masks (H, W) float32 in [0, 1]; randomness comes from the generator given. Each
``draw_*`` paints its thing into ``layer`` ((H, W, 3) uint8) and where it lies into ``cover`` ((H, W) uint8, 255 =
covered).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from segmentation.training.augment import crop_around_person

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz &-!"
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    """A random RGB colour, often a saturated one (flags, signs) or a skin-like or dark one (hard for the model)."""
    kind = rng.random()
    if kind < 0.4:
        hsv = np.array([[[rng.uniform(0, 180), rng.uniform(150, 255), rng.uniform(120, 255)]]], np.uint8)
        red, green, blue = (int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    elif kind < 0.6:  # skin tones and browns: what the model most easily calls a person
        red, green, blue = int(rng.uniform(120, 240)), int(rng.uniform(80, 190)), int(rng.uniform(60, 160))
    else:
        grey = rng.uniform(0, 255)
        red, green, blue = (int(np.clip(grey + rng.normal(0, 20), 0, 255)) for _ in range(3))
    return red, green, blue


def _box(height: int, width: int, rng: np.random.Generator, size: tuple[float, float]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of a random box whose height is ``size`` (fractions of the frame height), partly in view."""
    box_h = max(4, int(rng.uniform(*size) * height))
    box_w = min(width, max(4, int(box_h * rng.uniform(0.5, 2.2))))  # at most the frame: portrait samples are narrow
    x0 = int(rng.uniform(-0.2 * box_w, width - 0.8 * box_w))
    y0 = int(rng.uniform(-0.2 * box_h, height - 0.8 * box_h))
    return x0, y0, x0 + box_w, y0 + box_h


def draw_lettering(layer: np.ndarray, cover: np.ndarray, rng: np.random.Generator, texture: np.ndarray) -> None:
    """Words on a sign or banner (half the time on a plain board), or lettering straight on the wall."""
    height, width = cover.shape
    x0, y0, x1, y1 = _box(height, width, rng, (0.08, 0.35))
    if rng.random() < 0.5:
        cv2.rectangle(layer, (x0, y0), (x1, y1), _colour(rng), -1)
        cv2.rectangle(cover, (x0, y0), (x1, y1), 255, -1)
    lines = int(rng.integers(1, 4))
    scale = (y1 - y0) / (lines * 30.0)
    for line in range(lines):
        text = "".join(rng.choice(list(_LETTERS), int(rng.integers(3, 14))))
        origin = (x0 + int(rng.uniform(0, 0.2) * (x1 - x0)), y0 + int((line + 0.85) * (y1 - y0) / lines))
        font = int(rng.choice(_FONTS))
        thickness = max(1, int(scale * rng.uniform(1.0, 3.0)))
        colour = _colour(rng)
        cv2.putText(layer, text, origin, font, scale, colour, thickness, cv2.LINE_AA)
        cv2.putText(cover, text, origin, font, scale, 255, thickness, cv2.LINE_AA)


def draw_flag(layer: np.ndarray, cover: np.ndarray, rng: np.random.Generator, texture: np.ndarray) -> None:
    """A flag or pennant: two to four stripes (either way) or a cross, bent in a wave, sometimes on a pole."""
    height, width = cover.shape
    x0, y0, x1, y1 = _box(height, width, rng, (0.15, 0.45))
    flag_w, flag_h = x1 - x0, y1 - y0
    flag = np.zeros((flag_h, flag_w, 3), np.uint8)
    stripes = int(rng.integers(2, 5))
    vertical = rng.random() < 0.5
    for index in range(stripes):
        colour = _colour(rng)
        if vertical:
            flag[:, index * flag_w // stripes : (index + 1) * flag_w // stripes] = colour
        else:
            flag[index * flag_h // stripes : (index + 1) * flag_h // stripes] = colour
    if rng.random() < 0.3:
        thick = max(2, flag_h // 6)
        flag[flag_h // 2 - thick // 2 : flag_h // 2 + thick // 2] = _colour(rng)
        flag[:, flag_w // 3 - thick // 2 : flag_w // 3 + thick // 2] = _colour(rng)
    # A wave: shift columns up and down, shade the folds.
    phase, periods, amplitude = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 2.5), rng.uniform(0.0, 0.08) * flag_h
    columns = np.arange(flag_w)
    shift = (amplitude * np.sin(phase + 2 * np.pi * periods * columns / flag_w)).astype(np.float32)
    shade = (0.8 + 0.2 * np.cos(phase + 2 * np.pi * periods * columns / flag_w)).astype(np.float32)
    map_x = np.tile(columns.astype(np.float32), (flag_h, 1))
    map_y = np.arange(flag_h, dtype=np.float32)[:, None] - shift[None, :]
    waved = cv2.remap(flag, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    inside = cv2.remap(np.ones((flag_h, flag_w), np.float32), map_x, map_y, cv2.INTER_LINEAR, borderValue=0.0)
    waved = np.clip(waved.astype(np.float32) * shade[None, :, None], 0, 255).astype(np.uint8)
    _place(layer, cover, waved, inside, x0, y0)
    if rng.random() < 0.5:
        pole_x = x0 - 2
        cv2.line(layer, (pole_x, y0 - flag_h // 4), (pole_x, y1 + flag_h), _colour(rng), max(2, flag_w // 30))
        cv2.line(cover, (pole_x, y0 - flag_h // 4), (pole_x, y1 + flag_h), 255, max(2, flag_w // 30))


def draw_screen(layer: np.ndarray, cover: np.ndarray, rng: np.random.Generator, texture: np.ndarray) -> None:
    """A monitor, television or framed poster: a dark or light frame around a picture (a crop of ``texture``) or a
    bright screen of windows and text."""
    height, width = cover.shape
    x0, y0, x1, y1 = _box(height, width, rng, (0.15, 0.5))
    frame = max(2, int((y1 - y0) * rng.uniform(0.02, 0.08)))
    cv2.rectangle(layer, (x0, y0), (x1, y1), _colour(rng) if rng.random() < 0.3 else (20, 20, 22), -1)
    cv2.rectangle(cover, (x0, y0), (x1, y1), 255, -1)
    inner_w, inner_h = x1 - x0 - 2 * frame, y1 - y0 - 2 * frame
    if inner_w < 4 or inner_h < 4:
        return
    if rng.random() < 0.5:
        picture, _ = crop_around_person(
            texture, np.zeros(texture.shape[:2], np.float32), (inner_w, inner_h), rng, min_area=0.1
        )
    else:
        picture = np.full((inner_h, inner_w, 3), _colour(rng), np.uint8)
        for _ in range(int(rng.integers(1, 6))):
            wx0, wy0 = int(rng.uniform(0, inner_w * 0.7)), int(rng.uniform(0, inner_h * 0.7))
            wx1, wy1 = wx0 + int(rng.uniform(0.2, 0.6) * inner_w), wy0 + int(rng.uniform(0.2, 0.6) * inner_h)
            cv2.rectangle(picture, (wx0, wy0), (wx1, wy1), _colour(rng), -1)
    _place(layer, cover, picture, np.ones((inner_h, inner_w), np.float32), x0 + frame, y0 + frame)


def draw_lamp(layer: np.ndarray, cover: np.ndarray, rng: np.random.Generator, texture: np.ndarray) -> None:
    """A floor or desk lamp: a shade (trapezoid or globe, often bright) on a thin stand."""
    height, width = cover.shape
    centre_x = int(rng.uniform(0, width))
    top = int(rng.uniform(-0.1, 0.5) * height)
    shade_h = max(6, int(rng.uniform(0.08, 0.25) * height))
    shade_w = max(6, int(shade_h * rng.uniform(0.8, 1.8)))
    glow = tuple(int(v) for v in np.clip(np.array(_colour(rng)) * 0.4 + 150, 0, 255))
    stand_colour = _colour(rng)
    thickness = max(2, shade_w // 12)
    cv2.line(layer, (centre_x, top + shade_h), (centre_x, height), stand_colour, thickness)
    cv2.line(cover, (centre_x, top + shade_h), (centre_x, height), 255, thickness)
    if rng.random() < 0.5:
        top_half, bottom_half = shade_w // 3, shade_w // 2
        points = np.array(
            [
                (centre_x - top_half, top),
                (centre_x + top_half, top),
                (centre_x + bottom_half, top + shade_h),
                (centre_x - bottom_half, top + shade_h),
            ],
            np.int32,
        )
        cv2.fillPoly(layer, [points], glow, cv2.LINE_AA)
        cv2.fillPoly(cover, [points], 255, cv2.LINE_AA)
    else:
        axes = (shade_w // 2, shade_h // 2)
        cv2.ellipse(layer, (centre_x, top + shade_h // 2), axes, 0, 0, 360, glow, -1, cv2.LINE_AA)
        cv2.ellipse(cover, (centre_x, top + shade_h // 2), axes, 0, 0, 360, 255, -1, cv2.LINE_AA)


def draw_coat_on_chair(layer: np.ndarray, cover: np.ndarray, rng: np.random.Generator, texture: np.ndarray) -> None:
    """A chair back (rounded rectangle on a post) with, half the time, a coat hung over it: shoulders and sleeves
    of a dark or coloured fabric, which is what a person segmenter most easily keeps."""
    height, width = cover.shape
    back_h = max(8, int(rng.uniform(0.25, 0.6) * height))
    back_w = min(width, max(8, int(back_h * rng.uniform(0.6, 1.1))))
    x0 = int(rng.uniform(-0.3 * back_w, width - 0.7 * back_w))
    y0 = int(rng.uniform(0.3, 0.8) * height)
    chair = _colour(rng) if rng.random() < 0.3 else tuple(int(v) for v in rng.uniform(10, 60, 3))
    radius = back_w // 4
    for target, value in ((layer, chair), (cover, 255)):
        cv2.rectangle(target, (x0 + radius, y0), (x0 + back_w - radius, y0 + back_h), value, -1)
        cv2.rectangle(target, (x0, y0 + radius), (x0 + back_w, y0 + back_h), value, -1)
        cv2.circle(target, (x0 + radius, y0 + radius), radius, value, -1, cv2.LINE_AA)
        cv2.circle(target, (x0 + back_w - radius, y0 + radius), radius, value, -1, cv2.LINE_AA)
    if rng.random() < 0.5:
        coat = _colour(rng)
        shoulder_y = y0 + int(back_h * rng.uniform(-0.05, 0.1))
        points = np.array(
            [
                (x0 - back_w // 10, shoulder_y + back_h // 6),
                (x0 + back_w // 5, shoulder_y),
                (x0 + back_w * 4 // 5, shoulder_y),
                (x0 + back_w + back_w // 10, shoulder_y + back_h // 6),
                (x0 + back_w + back_w // 6, y0 + back_h + back_h // 3),
                (x0 - back_w // 6, y0 + back_h + back_h // 3),
            ],
            np.int32,
        )
        cv2.fillPoly(layer, [points], coat, cv2.LINE_AA)
        cv2.fillPoly(cover, [points], 255, cv2.LINE_AA)


def _place(layer: np.ndarray, cover: np.ndarray, patch: np.ndarray, inside: np.ndarray, x0: int, y0: int) -> None:
    """Copy ``patch`` (h, w, 3) with coverage ``inside`` (h, w) into ``layer`` and ``cover`` at (x0, y0), clipped."""
    height, width = cover.shape
    left, top = max(0, x0), max(0, y0)
    right, bottom = min(width, x0 + patch.shape[1]), min(height, y0 + patch.shape[0])
    if right <= left or bottom <= top:
        return
    source = (slice(top - y0, bottom - y0), slice(left - x0, right - x0))
    target = (slice(top, bottom), slice(left, right))
    weight = inside[source][:, :, None]
    layer[target] = (patch[source] * weight + layer[target] * (1.0 - weight)).astype(np.uint8)
    cover[target] = np.maximum(cover[target], np.rint(inside[source] * 255).astype(np.uint8))


CLUTTER: tuple[Callable[[np.ndarray, np.ndarray, np.random.Generator, np.ndarray], None], ...] = (
    draw_lettering,
    draw_flag,
    draw_screen,
    draw_lamp,
    draw_coat_on_chair,
)


def paste_clutter(
    image: np.ndarray, mask: np.ndarray, texture_source: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one random thing of ``CLUTTER`` into ``image`` behind its people; returns ``(image, mask)``, the mask
    unchanged (the thing is background). ``texture_source`` is a person-free photo (screens and posters show part of
    it). Edges are softened by 0.5-1.5 px of blur, as a camera sees them."""
    height, width = mask.shape
    layer = np.zeros((height, width, 3), np.uint8)
    cover = np.zeros((height, width), np.uint8)
    CLUTTER[int(rng.integers(len(CLUTTER)))](layer, cover, rng, texture_source)
    sigma = rng.uniform(0.5, 1.5)
    layer = np.asarray(cv2.GaussianBlur(layer, (0, 0), sigma), np.uint8)
    coverage = cv2.GaussianBlur(cover.astype(np.float32) / 255.0, (0, 0), sigma)
    alpha = (coverage * (1.0 - mask))[:, :, None]
    blended = layer.astype(np.float32) * alpha + image.astype(np.float32) * (1.0 - alpha)
    return np.clip(blended, 0, 255).astype(np.uint8), mask
