"""What "Only me" costs per frame: ``python scripts/only_me_bench.py``.

Times ``MainPersonFilter.filter`` on the model's low-resolution masks of a 720p stream (256x144 at the default
input, 320x176 at the quality mode) with two people in view, the main one locked: median and 95th percentile of 2,000
calls after 100 warm-up calls, on one thread (it runs on the render thread, inside the frame's budget).
"""

from __future__ import annotations

import statistics
import time

import cv2
import numpy as np

from app.engine.only_me import MainPersonFilter


def two_people(width: int, height: int, shift: int) -> np.ndarray:
    """A soft (h, w) float32 mask of a main person in the middle and a smaller one to the right."""
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(mask, (width // 2 + shift, int(height * 0.65)), (width // 9, int(height * 0.4)), 0, 0, 360, 1.0, -1)
    cv2.ellipse(mask, (int(width * 0.85), int(height * 0.7)), (width // 16, int(height * 0.25)), 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (5, 5), 0)


def main() -> None:
    cv2.setNumThreads(1)
    for width, height in ((256, 144), (320, 176)):
        only_me = MainPersonFilter()
        masks = [two_people(width, height, shift) for shift in range(-4, 5)]
        for index in range(100):
            only_me.filter(masks[index % len(masks)], masks[index % len(masks)])
        times = []
        for index in range(2000):
            mask = masks[index % len(masks)]
            start = time.perf_counter()
            only_me.filter(mask, mask)
            times.append((time.perf_counter() - start) * 1e3)
        p95 = float(np.percentile(times, 95))
        print(
            f"only me at {width}x{height}: median {statistics.median(times):.3f} ms, p95 {p95:.3f} ms ({only_me.state})"
        )


if __name__ == "__main__":
    main()
