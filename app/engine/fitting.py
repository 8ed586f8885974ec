"""Fitting a picture to a frame size, aspect kept: ``cover_fit`` fills the frame and crops what overflows (backgrounds),
``contain_fit`` shows all of it on black bars (a camera of another shape in a running stream).

Both scale only what is shown, straight to the frame's size, so memory is bounded by the frame whatever the
picture's shape; both average pixels down when shrinking (``INTER_AREA``, no aliasing) and interpolate bilinearly
when enlarging, with one mapping (``_scaled_into``).
"""

from __future__ import annotations

import cv2
import numpy as np


def cover_fit(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``rgb`` ((h, w, C) uint8, C = 3 or 4) to cover width x height keeping its aspect ratio, centre-cropped:
    no stretching, no bars. Returns (height, width, C) uint8; a picture already of that size is returned as it is (a
    background video as large as the camera's frames, each frame).

    A 1x3840 strip covering a 640x360 frame would be 640x2457600 pixels if scaled whole: only the part shown is.
    """
    source_height, source_width = rgb.shape[:2]
    if (source_width, source_height) == (width, height):
        return rgb
    return _scaled_into(rgb, max(width / source_width, height / source_height), width, height)


def contain_fit(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Fit an (h, w, 3) uint8 frame into width x height keeping its aspect ratio, centred on black bars: people are
    never stretched and nothing of the picture is cut off. A frame already of that size is returned as it is."""
    source_height, source_width = rgb.shape[:2]
    if (source_width, source_height) == (width, height):
        return rgb
    scale = min(width / source_width, height / source_height)
    shown_width = min(width, max(1, round(source_width * scale)))
    shown_height = min(height, max(1, round(source_height * scale)))
    if (shown_width, shown_height) == (width, height):
        return _scaled_into(rgb, scale, width, height)
    canvas = np.zeros((height, width, rgb.shape[2]), np.uint8)
    top, left = (height - shown_height) // 2, (width - shown_width) // 2
    canvas[top : top + shown_height, left : left + shown_width] = _scaled_into(rgb, scale, shown_width, shown_height)
    return canvas


def _scaled_into(rgb: np.ndarray, scale: float, width: int, height: int) -> np.ndarray:
    """The centred width x height window of ``rgb`` scaled by ``scale``, computed without scaling the whole picture.

    Enlarging: each output pixel looks up its place in the picture (bilinear, edges repeated). Shrinking: the shown
    part is cropped in the picture's pixels and averaged down to the output size.
    """
    source_height, source_width = rgb.shape[:2]
    if scale >= 1.0:
        offset_x, offset_y = (source_width * scale - width) / 2.0, (source_height * scale - height) / 2.0
        output_to_picture = np.array(
            [[1.0 / scale, 0.0, (offset_x + 0.5) / scale - 0.5], [0.0, 1.0 / scale, (offset_y + 0.5) / scale - 0.5]]
        )
        return cv2.warpAffine(
            rgb,
            output_to_picture,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
    crop_width = min(source_width, max(1, round(width / scale)))
    crop_height = min(source_height, max(1, round(height / scale)))
    x0, y0 = (source_width - crop_width) // 2, (source_height - crop_height) // 2
    shown = rgb[y0 : y0 + crop_height, x0 : x0 + crop_width]
    return cv2.resize(shown, (width, height), interpolation=cv2.INTER_AREA)
