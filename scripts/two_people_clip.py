"""Write a clip for trying "Only me": the demo clip with a second person walking through the room behind her.

    python scripts/two_people_clip.py OUT.mp4 [--frames 300]

The second person is the man of ``pixabay_thoughtful_35590_640x360.mp4`` (Pixabay content licence, like the demo
clip), cut out of his own video by the shipped model's mask and pasted smaller, as if further back, walking from the
right edge to the left third and back. Both videos may be shipped, so the clip (and screenshots of it) may be too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from app.assets import demo_clip
from segmentation import load_segmenter

THOUGHTFUL = "pixabay_thoughtful_35590_640x360.mp4"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument(
        "--walker", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / THOUGHTFUL
    )
    args = parser.parse_args(argv)
    segmenter = load_segmenter(device="cpu")
    main_clip, walker_clip = cv2.VideoCapture(str(demo_clip())), cv2.VideoCapture(str(args.walker))
    width, height = int(main_clip.get(cv2.CAP_PROP_FRAME_WIDTH)), int(main_clip.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(args.out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (width, height))
    scale = 0.55
    path = np.concatenate(
        [
            np.linspace(width + 200, width * 0.2, args.frames // 2),
            np.linspace(width * 0.2, width + 200, args.frames - args.frames // 2),
        ]
    )
    for index in range(args.frames):
        ok, frame = main_clip.read()
        okay, walker = walker_clip.read()
        if not ok:
            break
        if not okay:
            walker_clip.set(cv2.CAP_PROP_POS_FRAMES, 0)
            okay, walker = walker_clip.read()
        rgb = cv2.cvtColor(walker, cv2.COLOR_BGR2RGB)
        alpha = segmenter(rgb)
        small = cv2.resize(walker, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        small_alpha = cv2.resize(alpha, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_LINEAR)
        # Behind her: paste the walker first, then put her back on top with her own mask.
        her = segmenter(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))[..., None]
        canvas = frame.astype(np.float32)
        left, top = int(path[index] - small.shape[1] / 2), height - small.shape[0] - 40
        x0, x1 = max(0, left), min(width, left + small.shape[1])
        if x1 > x0:
            piece = small_alpha[:, x0 - left : x1 - left, None]
            region = canvas[top : top + small.shape[0], x0:x1]
            canvas[top : top + small.shape[0], x0:x1] = small[:, x0 - left : x1 - left] * piece + region * (1 - piece)
        canvas = frame * her + canvas * (1 - her)
        writer.write(np.clip(canvas, 0, 255).astype(np.uint8))
    writer.release()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
