"""Alpha compositing in uint8 with OpenCV (several times faster than float32 numpy at 720p)."""

from __future__ import annotations

import cv2
import numpy as np


class Compositor:
    """Alpha compositing that reuses its work buffers between frames of one size.

    At 720p, four freshly allocated 2.7 MB buffers per frame cost about 4 ms in page faults; reused, the blend takes
    about 1.7 ms. The returned image is always a new array (it is handed to other threads).
    """

    def __init__(self) -> None:
        self._shape: tuple[int, ...] = ()
        self._alpha3 = self._inverse = self._person = self._rest = np.empty(0, np.uint8)

    def __call__(self, foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """``foreground * a + background * (1 - a)`` per pixel.

        ``foreground``, ``background``: (H, W, 3) uint8 RGB of one size; ``alpha``: (H, W) uint8, 255 = person.
        Returns a new (H, W, 3) uint8 RGB image.
        """
        if foreground.shape != background.shape or alpha.shape != foreground.shape[:2]:
            raise ValueError(
                f"expected frame, background (H, W, 3) and alpha (H, W) of one size, got {foreground.shape}, "
                f"{background.shape} and {alpha.shape}"
            )
        if foreground.shape != self._shape:
            self._shape = foreground.shape
            self._alpha3, self._inverse, self._person, self._rest = (np.empty_like(foreground) for _ in range(4))
        cv2.merge((alpha, alpha, alpha), dst=self._alpha3)
        cv2.bitwise_not(self._alpha3, dst=self._inverse)
        cv2.multiply(foreground, self._alpha3, dst=self._person, scale=1.0 / 255.0)
        cv2.multiply(background, self._inverse, dst=self._rest, scale=1.0 / 255.0)
        return cv2.add(self._person, self._rest, dst=np.empty_like(foreground))


def composite(foreground: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """One-off ``Compositor()(foreground, background, alpha)``; per-frame callers keep a ``Compositor``."""
    return Compositor()(foreground, background, alpha)


def mask_preview(alpha: np.ndarray) -> np.ndarray:
    """The alpha itself as an (H, W, 3) uint8 grey image (white = person), for checking edges."""
    return cv2.merge((alpha, alpha, alpha))
