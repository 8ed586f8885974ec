"""Composites of a distant person with one pass and with the second look at them, for the model card.

    python scripts/zoom_examples.py OUTPUT.jpg [--distant 0.4] [--frames 30 150 270] [--background color:#00c800]

Every frame of the demo clip is shrunk to ``--distant`` of its size in a room of its own edge pixels (as
``segmentation.tools.bench`` does), and runs through the real renderer (segment, temporal smoothing, guided
upsampling, composite; quality mode, so the input is the same at every frame) twice: once with the model's first
pass alone, once with the second look at a small person (``segmentation/inference/zoom.py``). Each requested frame
becomes a row: the two composites at full size, then both 2x around the person.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from app.assets import demo_clip
from app.engine.renderer import FrameRenderer
from app.engine.settings import QualityMode, RenderSettings, parse_background_spec
from segmentation import LowResMask, Segmenter, load_segmenter
from segmentation.tools.bench import distant_person_frame
from segmentation.training.sources import video_frames


class OnePass(Segmenter):
    """A segmenter without the second look: ``zoom_in`` hands the first pass back."""

    def zoom_in(self, rgb: np.ndarray, low: LowResMask, pixel_budget: int | None = None) -> LowResMask:
        return low


def person_crop(rgb: np.ndarray, share: float) -> tuple[slice, slice]:
    """Rows and columns of the middle ``share`` of the frame (where ``distant_person_frame`` put the clip), with a
    tenth of it to spare on each side."""
    height, width = rgb.shape[:2]
    spare = share * 1.2
    top, left = int(height * (1 - spare) / 2), int(width * (1 - spare) / 2)
    return slice(max(0, top), min(height, height - top)), slice(max(0, left), min(width, width - left))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--distant", type=float, default=0.4, help="the clip's share of the frame's size (0.1-0.7)")
    parser.add_argument("--frames", type=int, nargs="+", default=[30, 150, 270])
    parser.add_argument("--background", default="color:#00c800")
    args = parser.parse_args()
    if not 0.1 <= args.distant <= 0.7:
        parser.error("--distant takes a share of the frame's size from 0.1 to 0.7")
    settings = RenderSettings(background=parse_background_spec(args.background), quality=QualityMode.QUALITY)
    capture = cv2.VideoCapture(str(demo_clip()))
    last = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) - 1  # as the header says; checked below against what is read
    capture.release()
    if not 0 <= min(args.frames) <= max(args.frames) <= last:
        parser.error(f"--frames takes frame numbers from 0 to {last} of {demo_clip().name}")
    frames = video_frames(demo_clip(), 1, 100_000, max_frames=max(args.frames) + 1)
    if len(frames) <= max(args.frames):
        parser.error(f"{demo_clip().name} ended after {len(frames)} frames: --frames takes numbers below that")
    frames = [distant_person_frame(rgb, args.distant) for rgb in frames]
    segmenter = load_segmenter()
    one_pass = OnePass(segmenter.run_batch, segmenter.info, pixel_budget=segmenter.pixel_budget)
    renders = {}
    for name, used in (("one pass", one_pass), ("second look", segmenter)):
        renderer = FrameRenderer(used, use_guard=False)
        renders[name] = [renderer.render(rgb, settings).rgb for rgb in frames]
    rows = []
    for index in args.frames:
        first, second = renders["one pass"][index], renders["second look"][index]
        rows_slice, columns_slice = person_crop(first, args.distant)
        zoomed = [
            cv2.resize(image[rows_slice, columns_slice], None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
            for image in (first, second)
        ]
        full = np.hstack([first, second])
        close = np.hstack(zoomed)
        if close.shape[1] != full.shape[1]:
            close = cv2.resize(close, (full.shape[1], round(close.shape[0] * full.shape[1] / close.shape[1])))
        rows.append(np.vstack([full, close]))
    cv2.imwrite(str(args.output), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {args.output}: rows of frames {args.frames}, one pass on the left, the second look on the right")


if __name__ == "__main__":
    main()
