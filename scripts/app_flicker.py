"""Static-edge flicker of the alpha the app actually composites (temporal smoothing and guided upsampling on),
next to the raw model, on the demo clip: ``python scripts/app_flicker.py [--frames 300] [--smoothing 0.5]
[--pixel-budget 57600] [--spec SPEC]`` (model input pixels, default the model's own, 256x144 for 16:9; a model spec,
default the shipped model)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.assets import demo_clip
from app.engine.refine import GuidedUpsampler, TemporalSmoother, to_grey
from app.engine.settings import RenderSettings
from segmentation import load_segmenter
from segmentation.inference.preprocess import upsample_mask
from segmentation.metrics import static_flicker
from segmentation.training.sources import video_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--smoothing", type=float, default=RenderSettings().smoothing)
    parser.add_argument("--feather", type=float, default=RenderSettings().feather)
    parser.add_argument("--pixel-budget", type=int, default=None, help="model input pixels (default: the model's)")
    parser.add_argument("--spec", type=Path, default=None, help="model spec (default: the shipped model)")
    args = parser.parse_args()
    segmenter = load_segmenter(spec_path=args.spec, pixel_budget=args.pixel_budget)
    smoother, upsample = TemporalSmoother(), GuidedUpsampler()
    frames = video_frames(demo_clip(), 1, 100_000)[: args.frames]
    raw, in_app = [], []
    for rgb in frames:
        low = segmenter.infer(rgb)
        small, mask = low.small, low.mask
        raw.append(upsample_mask(mask, rgb.shape[1], rgb.shape[0]))  # what segmenter(rgb) returns, without a rerun
        small_grey = to_grey(small)
        smoothed = smoother(mask, small_grey, args.smoothing)
        alpha = upsample(smoothed, small_grey, to_grey(rgb), threshold=0.5, feather=args.feather)
        in_app.append(alpha.astype("float32") / 255.0)
    input_width, input_height = segmenter.input_size(frames[0].shape[1], frames[0].shape[0])
    print(
        f"{len(frames)} frames of {demo_clip().name} at {input_width}x{input_height} input: "
        f"static-edge flicker raw model {static_flicker(frames, raw):.4f}, "
        f"in the app (smoothing {args.smoothing}) {static_flicker(frames, in_app):.4f}"
    )


if __name__ == "__main__":
    main()
