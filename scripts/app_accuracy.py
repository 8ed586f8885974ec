"""Held-out IoU, boundary F and glow of the alpha the app composites (the edge curve of the feather and threshold
settings on), next to ``segmenter(rgb)``'s alpha and the model's mask upsampled bilinearly:
``python scripts/app_accuracy.py [--budgets 36864 57600] [--feather 0.5] [--spec SPEC]``.

``segmentation.tools.evaluate`` scores ``segmenter(rgb)``: the mask upsampled onto the photo's edges by the
segmenter's edge refiner (``segmentation.inference.edge_refiner``). The app applies the same coefficients and then
its edge curve (``app.engine.refine.edge_curve``), which moves a soft edge toward the threshold; this script scores
all three on the same held-out photos, at each model input size asked for. Temporal smoothing plays no part on a
still photo.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from app.engine.refine import GuidedUpsampler, to_grey
from app.engine.settings import RenderSettings
from segmentation import load_segmenter
from segmentation.inference.edge_refiner import apply_coefficients
from segmentation.inference.preprocess import upsample_mask
from segmentation.metrics import boundary_f_score, iou, outside_glow
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
    print(
        f"{'input pixels':<14}"
        + "".join(
            f"{kind + ' ' + figure:>14}" for kind in ("bilinear", "seg(rgb)", "app") for figure in ("IoU", "BF", "glow")
        )
    )
    for budget in args.budgets:
        scores: dict[str, list[float]] = {}
        for item in items:
            low = segmenter.infer(item.rgb, budget)
            bilinear = upsample_mask(low.mask, item.rgb.shape[1], item.rgb.shape[0])
            edges, frame_grey = segmenter.edges(low.mask, to_grey(low.small)), to_grey(item.rgb)
            refined = apply_coefficients(*edges, frame_grey)  # what segmenter(rgb) returns
            in_app = upsample(*edges, frame_grey, threshold=args.threshold, feather=args.feather) / np.float32(255.0)
            scores[item.name] = [
                figure(candidate, item.mask)
                for candidate in (bilinear, refined, in_app)
                for figure in (iou, boundary_f_score, outside_glow)
            ]
        every = np.nanmean(list(scores.values()), axis=0)
        kept = np.nanmean([value for name, value in scores.items() if name not in REVIEWED_WEB_PHOTOS], axis=0)
        print(f"{budget:<14}" + "".join(f"{value:>14.4f}" for value in every))
        print(f"{'(unreviewed)':<14}" + "".join(f"{value:>14.4f}" for value in kept))


if __name__ == "__main__":
    main()
