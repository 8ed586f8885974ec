"""Held-out IoU and boundary F of the alpha the app composites (guided upsampling on), next to the raw model's
bilinear upsampling: ``python scripts/app_accuracy.py [--budgets 36864 57600] [--feather 0.5] [--spec SPEC]``.

``segmentation.tools.evaluate`` scores the model's own mask, upsampled bilinearly to the photo's size. The app instead
upsamples with the fast guided filter (``app.engine.refine``), which moves the outline onto the image's edges; this
script scores that alpha (binarised at 128 of 255) on the same held-out photos, at each model input size asked for.
Temporal smoothing plays no part on a still photo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from app.engine.refine import GuidedUpsampler, to_grey
from app.engine.settings import RenderSettings
from segmentation import load_segmenter
from segmentation.inference.preprocess import upsample_mask
from segmentation.metrics import boundary_f_score, iou
from segmentation.training.config import TrainConfig, default_data_root
from segmentation.training.label_review import REVIEWED_WEB_PHOTOS
from segmentation.training.sources import load_held_out


def main() -> None:
    photos = default_data_root() / "people" / "web_photos"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=photos / "images")
    parser.add_argument("--masks", type=Path, default=photos / "masks")
    parser.add_argument("--budgets", type=int, nargs="+", default=[256 * 144, 320 * 180], help="model input pixels")
    parser.add_argument("--feather", type=float, default=RenderSettings().feather)
    parser.add_argument("--threshold", type=float, default=RenderSettings().threshold)
    parser.add_argument("--spec", type=Path, default=None, help="model spec (default: the shipped model)")
    args = parser.parse_args()
    items = load_held_out(args.images, args.masks, TrainConfig.val_fraction)
    if not items:
        raise SystemExit(f"no held-out photo with a mask found in {args.images} and {args.masks}")
    segmenter = load_segmenter(spec_path=args.spec)
    upsample = GuidedUpsampler()
    print(f"{len(items)} held-out photos, model {segmenter.info.model_name} on {segmenter.info.backend}")
    print(f"{'input pixels':<14}{'raw IoU':>9}{'raw BF':>9}{'app IoU':>9}{'app BF':>9}   (without the reviewed masks)")
    for budget in args.budgets:
        scores: dict[str, tuple[float, float, float, float]] = {}
        for item in items:
            low = segmenter.infer(item.rgb, budget)
            small, probability = low.small, low.mask
            raw = upsample_mask(probability, item.rgb.shape[1], item.rgb.shape[0])  # what segmenter(rgb) returns
            alpha = upsample(
                probability, to_grey(small), to_grey(item.rgb), threshold=args.threshold, feather=args.feather
            )
            in_app = alpha.astype(np.float32) / 255.0
            scores[item.name] = (
                iou(raw, item.mask),
                boundary_f_score(raw, item.mask),
                iou(in_app, item.mask),
                boundary_f_score(in_app, item.mask),
            )
        every = np.mean(list(scores.values()), axis=0)
        kept = np.mean([value for name, value in scores.items() if name not in REVIEWED_WEB_PHOTOS], axis=0)
        figures = "".join(f"{value:>9.4f}" for value in every)
        without = " / ".join(f"{value:.4f}" for value in kept)
        print(f"{budget:<14}{figures}   ({without})")


if __name__ == "__main__":
    main()
