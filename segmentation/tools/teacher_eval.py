"""``python -m segmentation.tools.teacher_eval``: which soft labels to train on, measured on the held-out photos.

Scores the two teachers, Robust Video Matting (``training.rvm_teacher``, ``STILL_PASSES`` passes per photo) and the
MediaPipe selfie model, and the mean of their probabilities, against the hand masks of the held-out web photos (the
same split training leaves out): mean IoU, boundary F (3 px) and the glow (mean alpha 3-10 px outside the outline).
Photos are scored at their own size, their long side capped at ``--max-side``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from segmentation.data_root import default_data_root
from segmentation.metrics import boundary_f_score, iou, outside_glow
from segmentation.training.sources import cap_side, load_held_out

Teacher = Callable[[np.ndarray], np.ndarray]


def score_teachers(photos, teachers: dict[str, Teacher]) -> dict[str, dict[str, float]]:
    """Per teacher (and ``mean``, the mean of all teachers' probabilities): mean IoU, boundary F and glow over
    ``photos`` (``LabelledImage`` with hand masks)."""
    per_model: dict[str, dict[str, list[float]]] = {}

    def add(name: str, alpha: np.ndarray, mask: np.ndarray) -> None:
        scores = per_model.setdefault(name, {"iou": [], "boundary_f": [], "glow": []})
        scores["iou"].append(iou(alpha, mask))
        scores["boundary_f"].append(boundary_f_score(alpha, mask))
        scores["glow"].append(outside_glow(alpha, mask))

    for photo in photos:
        alphas = {name: teacher(photo.rgb) for name, teacher in teachers.items()}
        for name, alpha in alphas.items():
            add(name, alpha, photo.mask)
        add("mean", np.mean(list(alphas.values()), axis=0), photo.mask)
    return {
        name: {key: float(np.nanmean(values)) for key, values in scores.items()} | {"photos": len(photos)}
        for name, scores in per_model.items()
    }


def main(argv: list[str] | None = None) -> int:
    data = default_data_root()
    parser = argparse.ArgumentParser(
        prog="python -m segmentation.tools.teacher_eval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--images", type=Path, default=data / "people" / "web_photos" / "images")
    parser.add_argument("--masks", type=Path, default=data / "people" / "web_photos" / "masks")
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--max-side", type=int, default=1024, help="cap on the photos' long side, in pixels")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    from segmentation.peers.mediapipe import MediaPipeSelfie
    from segmentation.training.rvm_teacher import RobustVideoMatting

    photos = load_held_out(args.images, args.masks, args.val_fraction)
    if not photos:
        print(f"no held-out photo in {args.images} has a mask in {args.masks}", file=sys.stderr)
        return 2
    rvm = RobustVideoMatting(data / "models")
    mediapipe = MediaPipeSelfie(data / "models")

    def capped(teacher: Teacher) -> Teacher:
        def run(rgb: np.ndarray) -> np.ndarray:
            small = cap_side(rgb, args.max_side)
            alpha = teacher(small)
            return cv2.resize(alpha, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)

        return run

    results = score_teachers(photos, {"rvm": capped(rvm.still), "mediapipe": capped(mediapipe)})
    print(f"{len(photos)} held-out photos, hand masks as the truth")
    print(f"{'teacher':<12}{'IoU':>8}{'boundary F':>12}{'glow':>8}")
    for name, scores in results.items():
        print(f"{name:<12}{scores['iou']:>8.3f}{scores['boundary_f']:>12.3f}{scores['glow']:>8.3f}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
