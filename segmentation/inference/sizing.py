"""Choose the model input size for a frame: keep its aspect ratio, fix the pixel budget, no padding.

DeepLabv3+ at output stride 16 needs H and W divisible by 16. Rather than padding (which puts an artificial border
into the image the model sees), the frame is resized to the multiple-of-16 size whose aspect ratio is closest to the
frame's and whose area is about ``pixel_budget``. A 16:9 frame at the default budget gets exactly 256x144.
"""

from __future__ import annotations

import math

SIZE_MULTIPLE = 16
DEFAULT_PIXEL_BUDGET = 256 * 144


def model_input_size(frame_width: int, frame_height: int, pixel_budget: int = DEFAULT_PIXEL_BUDGET) -> tuple[int, int]:
    """Return ``(width, height)``, both positive multiples of 16, with about ``pixel_budget`` pixels.

    >>> model_input_size(1280, 720)
    (256, 144)
    >>> model_input_size(640, 480)
    (208, 160)
    """
    if frame_width <= 0 or frame_height <= 0:
        raise ValueError(f"frame size must be positive, got {frame_width}x{frame_height}")
    aspect = frame_width / frame_height
    ideal_height = math.sqrt(pixel_budget / aspect)
    height = max(SIZE_MULTIPLE, round(ideal_height / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    width = max(SIZE_MULTIPLE, round(height * aspect / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return width, height
