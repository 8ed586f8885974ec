"""Webcam-like photometric augmentation and geometric helpers for training samples.

Every function takes and returns ``(H, W, 3) uint8 RGB`` images (masks: ``(H, W) float32`` in [0, 1]) and draws its
randomness from the ``numpy.random.Generator`` it is given, so a sample is reproducible from its seed.
"""

from __future__ import annotations

import cv2
import numpy as np


def colour_jitter(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast, saturation, white balance and gamma (exposure) changes."""
    image = rgb.astype(np.float32) / 255.0
    image = image * rng.uniform(0.6, 1.4) + rng.uniform(-0.1, 0.1)
    mean = image.mean()
    image = (image - mean) * rng.uniform(0.7, 1.3) + mean
    grey = image.mean(axis=2, keepdims=True)
    image = grey + (image - grey) * rng.uniform(0.5, 1.4)
    image = image * rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    image = np.clip(image, 0.0, 1.0) ** rng.uniform(0.7, 1.5)
    return (image * 255.0 + 0.5).astype(np.uint8)


def low_light(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A dim room: darken strongly, then add the sensor noise a webcam's gain brings."""
    image = rgb.astype(np.float32) * rng.uniform(0.15, 0.5)
    image += rng.normal(0.0, rng.uniform(2.0, 8.0), size=image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def blur(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Defocus (Gaussian) or horizontal/vertical motion blur."""
    if rng.random() < 0.5:
        return cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.5, 1.8))
    length = int(rng.integers(3, 8))
    kernel = np.zeros((length, length), np.float32)
    if rng.random() < 0.5:
        kernel[length // 2, :] = 1.0 / length
    else:
        kernel[:, length // 2] = 1.0 / length
    return cv2.filter2D(rgb, -1, kernel)


def sensor_noise(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Additive Gaussian noise with a random strength (sigma 2-10 grey levels)."""
    noise = rng.normal(0.0, rng.uniform(2.0, 10.0), size=rgb.shape)
    return np.clip(rgb.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def jpeg_artefacts(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Re-encode as JPEG at quality 25-85, as a compressed webcam stream looks."""
    quality = int(rng.integers(25, 86))
    ok, encoded = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return rgb
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return rgb if decoded is None else decoded[:, :, ::-1].copy()


def webcam_photometric(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply a random subset of the photometric augmentations above, each with its own probability."""
    if rng.random() < 0.8:
        rgb = colour_jitter(rgb, rng)
    if rng.random() < 0.15:
        rgb = low_light(rgb, rng)
    if rng.random() < 0.3:
        rgb = blur(rgb, rng)
    if rng.random() < 0.3:
        rgb = sensor_noise(rgb, rng)
    if rng.random() < 0.4:
        rgb = jpeg_artefacts(rgb, rng)
    return rgb


def crop_around_person(
    rgb: np.ndarray, mask: np.ndarray, size: tuple[int, int], rng: np.random.Generator, min_area: float = 0.35
) -> tuple[np.ndarray, np.ndarray]:
    """Random resized crop of aspect ``size`` = (width, height) that keeps part of the person in view.

    The crop covers ``min_area``-100% of the largest window of that aspect that fits, is centred near a random person
    pixel (so people often end up cut at the frame edge, as at a desk), and is resized to ``size``; 50% are mirrored.
    """
    return warp_crop(rgb, mask, crop_matrix(mask, size, rng, min_area), size)


def crop_matrix(
    mask: np.ndarray, size: tuple[int, int], rng: np.random.Generator, min_area: float = 0.35
) -> np.ndarray:
    """The (2, 3) float32 affine matrix of ``crop_around_person``'s random crop (mirroring included), drawn from
    ``rng`` around the person of the (H, W) ``mask``; ``warp_crop`` applies it (to more than one frame if need be)."""
    out_w, out_h = size
    height, width = mask.shape
    aspect = out_w / out_h * rng.uniform(0.9, 1.1)
    max_w = min(width, height * aspect)
    crop_w = max_w * np.sqrt(rng.uniform(min_area, 1.0))
    crop_h = min(height, crop_w / aspect)
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) and rng.random() < 0.9:
        pick = int(rng.integers(len(xs)))
        centre_x = xs[pick] + rng.normal(0, crop_w * 0.15)
        centre_y = ys[pick] + rng.normal(0, crop_h * 0.15)
    else:
        centre_x, centre_y = rng.uniform(0, width), rng.uniform(0, height)
    x0 = float(np.clip(centre_x - crop_w / 2, 0, width - crop_w))
    y0 = float(np.clip(centre_y - crop_h / 2, 0, height - crop_h))
    # An affine warp crops and resizes in one step with sub-pixel placement.
    scale_x, scale_y = out_w / crop_w, out_h / crop_h
    matrix = np.array([[scale_x, 0, -x0 * scale_x], [0, scale_y, -y0 * scale_y]], np.float32)
    if rng.random() < 0.5:
        matrix = np.array([[-1, 0, out_w], [0, 1, 0]], np.float32) @ np.vstack([matrix, [0, 0, 1]])
    return matrix


def warp_crop(
    rgb: np.ndarray, mask: np.ndarray, matrix: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 ``rgb`` and (H, W) float ``mask`` in [0, 1] through the (2, 3) crop ``matrix`` to ``size`` =
    (width, height): the image (INTER_AREA where it shrinks) and the mask clipped to [0, 1]."""
    shrinks = abs(float(matrix[0, 0])) < 1
    image = cv2.warpAffine(
        rgb, matrix, size, flags=cv2.INTER_AREA if shrinks else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    target = cv2.warpAffine(mask, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return image, np.clip(target, 0.0, 1.0)


def paste_person(
    background: np.ndarray,
    person_rgb: np.ndarray,
    person_alpha: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha-composite a person onto ``background`` (copy-paste augmentation); returns image and person mask.

    The person is scaled to 45-130% of the background height and placed so that it may leave the frame at the
    sides or bottom (partial bodies), like a person seated in front of a webcam.
    """
    bg_h, bg_w = background.shape[:2]
    person_rgb, person_alpha = _scaled_person(person_rgb, person_alpha, bg_h * rng.uniform(0.45, 1.3), rng)
    new_h, new_w = person_alpha.shape
    x0 = _random_left(new_w, bg_w, rng)
    y0 = int(bg_h - new_h * rng.uniform(0.6, 1.0)) if new_h > bg_h * 0.6 else int(rng.uniform(0, bg_h - new_h))
    return _paste_at(background, person_rgb, person_alpha, x0, y0)


DISTANT_HEIGHT = (0.12, 0.45)  # a distant person's height, as a fraction of the frame's
DISTANT_FEET = (0.55, 1.0)  # where their lowest pixel stands, as a fraction of the frame height from the top


def paste_distant_person(
    background: np.ndarray,
    person_rgb: np.ndarray,
    person_alpha: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Alpha-composite a person small and far from the camera: someone walking through the room behind the desk,
    or sitting at the next desk. Returns ``(image, mask)`` like ``paste_person``.

    ``paste_person`` makes people at least 45% of the frame height, as at a desk in front of a webcam; a wide
    webcam view of an office also shows people sitting or walking further back, a tenth to half of the frame tall,
    which no other sample shows (a held-out clip's man far back behind a monitor was missed). The person is scaled to
    ``DISTANT_HEIGHT`` of the background height and stands on the floor: their lowest pixel at ``DISTANT_FEET`` of
    the height, anywhere across (at least 70% of their width in the frame).
    """
    bg_h, bg_w = background.shape[:2]
    person_rgb, person_alpha = _scaled_person(person_rgb, person_alpha, bg_h * rng.uniform(*DISTANT_HEIGHT), rng)
    new_h, new_w = person_alpha.shape
    rows = np.flatnonzero(person_alpha.max(axis=1) > 0.5)
    lowest = int(rows[-1]) if len(rows) else new_h - 1  # the feet, or a bust's cut edge
    x0 = _random_left(new_w, bg_w, rng)
    y0 = int(bg_h * rng.uniform(*DISTANT_FEET)) - lowest
    return _paste_at(background, person_rgb, person_alpha, x0, y0)


def _random_left(width: int, canvas_width: int, rng: np.random.Generator) -> int:
    """Left edge of something ``width`` pixels wide placed anywhere across a canvas with at least 70% of it in
    view (a figure wider than the canvas still gets a 1-pixel range)."""
    return int(rng.uniform(-0.3 * width, max(-0.3 * width + 1, canvas_width - 0.7 * width)))


def _scaled_person(
    person_rgb: np.ndarray, person_alpha: np.ndarray, height: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The person resized to ``height`` pixels tall (aspect kept, at least 2 px a side), mirrored half the time."""
    p_h, p_w = person_alpha.shape
    scale = height / p_h
    new_w, new_h = max(2, int(p_w * scale)), max(2, int(p_h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    person_rgb = cv2.resize(person_rgb, (new_w, new_h), interpolation=interpolation)
    person_alpha = cv2.resize(person_alpha, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        person_rgb, person_alpha = person_rgb[:, ::-1], person_alpha[:, ::-1]
    return person_rgb, person_alpha


def _paste_at(
    background: np.ndarray, person_rgb: np.ndarray, person_alpha: np.ndarray, x0: int, y0: int
) -> tuple[np.ndarray, np.ndarray]:
    """``person_rgb`` blended over ``background`` with its top-left corner at (x0, y0), the parts outside the frame
    cut off; returns the image and the person's alpha on the background's canvas."""
    bg_h, bg_w = background.shape[:2]
    new_h, new_w = person_alpha.shape
    canvas_alpha = np.zeros((bg_h, bg_w), np.float32)
    canvas_rgb = np.zeros_like(background)
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    w = min(new_w - sx0, bg_w - dx0)
    h = min(new_h - sy0, bg_h - dy0)
    if w > 0 and h > 0:
        canvas_alpha[dy0 : dy0 + h, dx0 : dx0 + w] = person_alpha[sy0 : sy0 + h, sx0 : sx0 + w]
        canvas_rgb[dy0 : dy0 + h, dx0 : dx0 + w] = person_rgb[sy0 : sy0 + h, sx0 : sx0 + w]
    return blend_over(canvas_rgb, background, canvas_alpha), canvas_alpha


def paste_occluder(
    image: np.ndarray, mask: np.ndarray, texture_source: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Paste an object-like patch, cut in a random blob shape from a person-free photo, beside or over the person,
    and label it background (the person's mask is cleared where the patch covers it).

    It stands for the bags, benches, books and pushchairs that touch people in real photos, which copy-paste
    composites never show: without it, whatever stands in front of the scene next to a person tends to be taken
    for part of them. The blob is a random star-shaped polygon 15-50% of the frame height across with a 1-3 px soft
    edge; 75% of the time its centre is a person pixel moved by a normal offset (standard deviation half the blob
    size, kept in the frame), otherwise anywhere. Its texture is a random crop of ``texture_source``, any (h, w, 3)
    uint8 RGB photo without people. Returns ``(image, mask)`` of the input's shapes and dtypes.
    """
    height, width = mask.shape
    size = rng.uniform(0.15, 0.5) * height
    corners = int(rng.integers(5, 11))
    angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
    radii = size / 2 * rng.uniform(0.45, 1.0, corners)
    stretch = rng.uniform(0.6, 1.6)  # tall, square or wide objects
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) and rng.random() < 0.75:
        pick = int(rng.integers(len(xs)))
        centre = np.array([xs[pick], ys[pick]], np.float64) + rng.normal(0, size / 2, 2)
        centre = np.clip(centre, 0, [width - 1, height - 1])  # so that at least a quarter of the blob is in view
    else:
        centre = np.array([rng.uniform(0, width), rng.uniform(0, height)])
    points = centre + np.stack([np.cos(angles) * radii * stretch, np.sin(angles) * radii], axis=1)
    blob = np.zeros((height, width), np.uint8)
    cv2.fillPoly(blob, [np.round(points).astype(np.int32)], 255)
    soft_edge = 2 * int(rng.integers(1, 4)) + 1
    alpha = cv2.GaussianBlur(blob.astype(np.float32) / 255.0, (soft_edge, soft_edge), 0)
    no_person = np.zeros(texture_source.shape[:2], np.float32)  # so the crop is placed anywhere in the photo
    texture, _ = crop_around_person(texture_source, no_person, (width, height), rng, min_area=0.25)
    return blend_over(texture, image, alpha), (mask * (1.0 - alpha)).astype(np.float32)


def blend_over(front: np.ndarray, back: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``front`` over ``back`` (both (H, W, 3) uint8) with ``alpha`` (H, W) float32 in [0, 1]; uint8 result."""
    alpha3 = alpha[:, :, None]
    blended = front.astype(np.float32) * alpha3 + back.astype(np.float32) * (1.0 - alpha3)
    return np.clip(blended, 0, 255).astype(np.uint8)
