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


def integer_area_step(source_width: int, source_height: int, width: int, height: int) -> tuple[int, int] | None:
    """The size a shrink from ``source`` to ``(width, height)`` should pass through first, or None to go direct.

    OpenCV's INTER_AREA has a fast path for whole-number factors (each output pixel the mean of a k x k block) and
    a general one, 2-4x slower, for the rest: a 1920x1080 frame takes 6 ms to 256x144 (factor 7.5) directly. So
    each axis first shrinks by the largest whole factor that divides its side and leaves it at least twice the
    target's, and a second INTER_AREA resize, on a small picture, finishes (1920x1080 -> 640x360 -> 256x144: 2.5
    ms). Leaving twice the target keeps the two steps' averaging within a third of a grey level of the direct one
    on average (a step straight to 320x180 is 1 level off). Returns None when the direct resize is already the fast
    path, or when no axis has such a factor.

    >>> integer_area_step(1920, 1080, 256, 144)
    (640, 360)
    >>> integer_area_step(1280, 720, 320, 176)
    (640, 360)
    >>> integer_area_step(1280, 720, 256, 144) is None  # 5x both ways
    True
    """
    if source_width % width == 0 and source_height % height == 0:
        return None
    step = (_whole_factor_size(source_width, width), _whole_factor_size(source_height, height))
    return None if step == (source_width, source_height) else step


def _whole_factor_size(source: int, target: int) -> int:
    """``source / k`` for the largest whole ``k`` that divides ``source`` and leaves at least ``2 * target``;
    ``source`` itself when only k = 1 does."""
    for factor in range(source // max(2 * target, 1), 1, -1):
        if source % factor == 0:
            return source // factor
    return source


def area_resize_sizes(source_width: int, source_height: int, width: int, height: int) -> tuple[tuple[int, int], ...]:
    """The sizes an INTER_AREA shrink from ``source`` to ``(width, height)`` resizes to, in order: the whole-factor
    step where ``integer_area_step`` gives one, then the target. The CPU (``resize_for_model``) and the device
    (``DeviceFinisher``) both follow it, so the model sees the same input either way.

    >>> area_resize_sizes(1920, 1080, 256, 144)
    ((640, 360), (256, 144))
    >>> area_resize_sizes(1280, 720, 256, 144)
    ((256, 144),)
    """
    step = integer_area_step(source_width, source_height, width, height)
    return ((width, height),) if step is None else (step, (width, height))
