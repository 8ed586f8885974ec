"""Static-edge flicker of the alpha the app actually composites (temporal smoothing, edge-aware upsampling and the
edge curve on), next to ``segmenter(rgb)``'s alpha of each frame on its own, on the demo clip:
``python scripts/app_flicker.py [--frames 300] [--smoothing 0.5] [--pixel-budget 57600] [--spec SPEC]
[--distant 0.4] [--no-zoom]`` (model input pixels, default the model's own, 256x144 for 16:9; a model spec, default
the shipped model; ``--distant`` shrinks every frame to that share of its size in a room of its own edge pixels, as
``segmentation.tools.bench`` does, so the person is far from the camera; ``--no-zoom`` leaves out the second look at
a small person)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.assets import demo_clip
from app.engine.refine import GuidedUpsampler, TemporalSmoother, to_grey
from app.engine.settings import RenderSettings
from segmentation import load_segmenter
from segmentation.metrics import static_flicker
from segmentation.tools.bench import distant_person_frame
from segmentation.training.sources import video_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--smoothing", type=float, default=RenderSettings().smoothing)
    parser.add_argument("--feather", type=float, default=RenderSettings().feather)
    parser.add_argument("--pixel-budget", type=int, default=None, help="model input pixels (default: the model's)")
    parser.add_argument("--spec", type=Path, default=None, help="model spec (default: the shipped model)")
    parser.add_argument("--distant", type=float, default=None, help="shrink each frame to this share (0-1) of its size")
    parser.add_argument("--no-zoom", action="store_true", help="one pass only, no second look at a small person")
    args = parser.parse_args()
    if args.frames < 2:
        parser.error("--frames takes at least 2 frames: flicker is a change between frames")
    if args.distant is not None and not 0.05 <= args.distant <= 1.0:
        parser.error("--distant takes a share of the frame's size from 0.05 to 1")
    segmenter = load_segmenter(spec_path=args.spec, pixel_budget=args.pixel_budget)
    smoother, upsample = TemporalSmoother(), GuidedUpsampler()
    frames = video_frames(demo_clip(), 1, 100_000, max_frames=args.frames)
    if args.distant is not None:
        frames = [distant_person_frame(rgb, args.distant) for rgb in frames]
    raw, in_app = [], []
    for rgb in frames:
        low = segmenter.infer(rgb, zoom=not args.no_zoom)
        small, mask = low.small, low.mask
        raw.append(segmenter.upsample(low, rgb))  # what segmenter(rgb) returns, without a rerun
        small_grey = to_grey(small)
        smoothed = smoother(mask, small_grey, args.smoothing)
        edges = segmenter.edges(smoothed, small_grey)
        alpha = upsample(*edges, to_grey(rgb), threshold=0.5, feather=args.feather)
        in_app.append(alpha.astype("float32") / 255.0)
    input_width, input_height = segmenter.input_size(frames[0].shape[1], frames[0].shape[0])
    shown = f"{demo_clip().name}" if args.distant is None else f"{demo_clip().name} shrunk to {args.distant:.0%}"
    passes = "one pass" if args.no_zoom else "a second look at a small person"
    print(
        f"{len(frames)} frames of {shown} at {input_width}x{input_height} input, {passes}: "
        f"static-edge flicker raw model {static_flicker(frames, raw):.4f}, "
        f"in the app (smoothing {args.smoothing}) {static_flicker(frames, in_app):.4f}"
    )


if __name__ == "__main__":
    main()
