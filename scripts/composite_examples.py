"""Render composited frames of the demo clip for the model card: full frames and 2x crops of hair and shoulders.

    python scripts/composite_examples.py OUTPUT.png [--frames 0 150 450] [--background assets/backgrounds/porch.jpg]

Runs the real engine renderer (segment, temporal smoothing, edge-aware upsampling, composite) over the clip in order,
so smoothing state is as in the app, and keeps the requested frames.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from app.assets import demo_clip
from app.engine.renderer import FrameRenderer
from app.engine.settings import QualityMode, RenderSettings, parse_background_spec
from app.engine.sources import VideoFileSource
from segmentation import load_segmenter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--frames", type=int, nargs="+", default=[30, 300, 600])
    parser.add_argument("--background", default="assets/backgrounds/porch.jpg")
    parser.add_argument("--clip", type=Path, default=demo_clip())
    args = parser.parse_args()

    settings = RenderSettings(background=parse_background_spec(args.background), quality=QualityMode.QUALITY)
    renderer = FrameRenderer(load_segmenter(), use_guard=False)
    source = VideoFileSource(args.clip, loop=False)
    wanted, rows = set(args.frames), []
    index = 0
    while wanted and (frame := source.read()) is not None:
        output = renderer.render(frame.rgb, settings).rgb
        if index in wanted:
            wanted.discard(index)
            height, width = output.shape[:2]
            # The head-and-shoulders region of a desk shot, magnified 2x to judge the edges.
            crop = output[height // 10 : height // 10 + height // 2, width // 4 : width // 4 + width // 2]
            crop = cv2.resize(crop, (width, height), interpolation=cv2.INTER_NEAREST)
            cv2.putText(output, f"frame {index}", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2)
            rows.append(np.hstack([frame.rgb, output, crop]))
        index += 1
    source.close()
    renderer.close()
    sheet = np.vstack(rows)
    scale = 1600 / sheet.shape[1]
    sheet = cv2.resize(sheet, (1600, round(sheet.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.output), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.output}: input | composite | 2x crop, frames {sorted(args.frames)}")


if __name__ == "__main__":
    main()
