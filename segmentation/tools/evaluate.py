"""``python -m segmentation.tools.evaluate``: accuracy on labelled photos and flicker on a clip, ours vs the teacher.

    python -m segmentation.tools.evaluate --images DIR --masks DIR [--validation-only] [--clip VIDEO] [--sheet PNG]

Prints mean IoU, mean boundary F-score (3 px tolerance) and the glow (mean alpha 3-10 px outside the outline) of
the shipped model (through ``load_segmenter``, the same path the app uses) and of the MediaPipe selfie teacher on the
same images; with ``--clip``, the temporal stability figure (mean mask change near the outline where the frame
itself did not change) for both. ``--sheet`` writes a PNG of the worst cases; ``--json`` writes the numbers, with
every photo's own scores under ``per_photo``;
``--negatives`` adds false persons on the held-out person-free photos (``training.material.negative_test_photos``);
``--skip-reviewed`` adds the figures without the photos whose hand masks ``training/label_review.py`` lists as wrong.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segmentation.data_root import default_data_root
from segmentation.inference import load_segmenter
from segmentation.metrics import boundary_f_score, iou, outside_glow, person_area, static_flicker
from segmentation.tools.comparison_sheet import SheetRow, write_sheet
from segmentation.training.label_review import REVIEWED_WEB_PHOTOS
from segmentation.training.material import negative_test_photos
from segmentation.training.sources import load_held_out, load_labelled, read_rgb, video_frames
from segmentation.weights import load_spec

_SHEET_ROWS = 8
NEGATIVE_LIMIT = 0.03  # a person-free photo with more than this share marked as person shows a visible false person


@dataclass(frozen=True)
class PhotoScore:
    name: str
    iou: float
    boundary_f: float
    teacher_iou: float
    teacher_boundary_f: float
    glow: float
    teacher_glow: float


def score_photos(images: Path, masks: Path, *, validation_only: bool, val_fraction: float, segmenter, teacher):
    """Per-photo scores plus the (name -> image, mask, ours, teacher) data needed for the sheet."""
    if validation_only:
        items = load_held_out(images, masks, val_fraction)
    else:
        items = load_labelled(images, masks, soft=False, max_side=100_000)
    if not items:
        raise ValueError(f"no image in {images} has a mask of the same stem in {masks}")
    scores, predictions = [], {}
    for item in items:
        ours = segmenter(item.rgb)
        theirs = teacher(item.rgb)
        scores.append(
            PhotoScore(
                item.name,
                iou(ours, item.mask),
                boundary_f_score(ours, item.mask),
                iou(theirs, item.mask),
                boundary_f_score(theirs, item.mask),
                outside_glow(ours, item.mask),
                outside_glow(theirs, item.mask),
            )
        )
        predictions[item.name] = (item.rgb, item.mask, ours, theirs)
    return scores, predictions


def clip_flicker(
    clip: Path, segmenter, teacher, max_frames: int = 300, pixel_budget: int | None = None
) -> dict[str, float]:
    """Static-edge flicker of raw per-frame masks, ours (at ``pixel_budget``, default the segmenter's) and the
    teacher's, on the first ``max_frames`` frames."""
    frames = video_frames(clip, 1, 100_000)[:max_frames]
    return {
        "flicker_ours": static_flicker(frames, [segmenter(frame, pixel_budget) for frame in frames]),
        "flicker_teacher": static_flicker(frames, [teacher(frame) for frame in frames]),
        "flicker_frames": len(frames),
    }


def prediction_sheet(predictions: dict, captions: dict[str, tuple[str, str, str, str]], path: Path) -> None:
    """PNG, one row per name of ``captions`` in its order: image | hand mask | ours | teacher, captioned.

    ``predictions`` maps name -> (rgb, hand mask, ours, teacher) as ``score_photos`` returns it.
    """
    rows = []
    for name, row_captions in captions.items():
        rgb, mask, ours, theirs = predictions[name]
        rows.append(SheetRow(rgb, (mask, ours, theirs), row_captions))
    write_sheet(rows, path)


def worst_case_sheet(scores: list[PhotoScore], predictions: dict, path: Path) -> None:
    """PNG with one row per worst photo: image | hand mask | ours | teacher (overlays), IoUs written on them."""
    worst = sorted(scores, key=lambda s: s.iou)[:_SHEET_ROWS]
    captions = {
        s.name: (s.name, "hand mask", f"ours IoU {s.iou:.3f}", f"teacher IoU {s.teacher_iou:.3f}") for s in worst
    }
    prediction_sheet(predictions, captions, path)


def mean_scores(scores: list[PhotoScore]) -> dict[str, float]:
    """Mean IoU and boundary F of ours and of the teacher over ``scores``."""
    return {
        "iou_ours": float(np.mean([s.iou for s in scores])),
        "iou_teacher": float(np.mean([s.teacher_iou for s in scores])),
        "boundary_f_ours": float(np.mean([s.boundary_f for s in scores])),
        "boundary_f_teacher": float(np.mean([s.teacher_boundary_f for s in scores])),
        "glow_ours": float(np.nanmean([s.glow for s in scores])),
        "glow_teacher": float(np.nanmean([s.teacher_glow for s in scores])),
    }


def score_negatives(photos: list[Path], segmenter, teacher) -> dict[str, float]:
    """False persons on person-free photos: mean and largest share of the picture marked as person, and how many
    photos have more than ``NEGATIVE_LIMIT`` of it marked, for ours and for the teacher."""
    ours = [person_area(segmenter(read_rgb(path))) for path in photos]
    theirs = [person_area(teacher(read_rgb(path))) for path in photos]
    return {
        "negative_photos": len(photos),
        "negative_area_ours": float(np.mean(ours)),
        "negative_area_teacher": float(np.mean(theirs)),
        "negative_max_ours": float(np.max(ours)),
        "negative_max_teacher": float(np.max(theirs)),
        "negative_over_limit_ours": int(np.sum(np.array(ours) > NEGATIVE_LIMIT)),
        "negative_over_limit_teacher": int(np.sum(np.array(theirs) > NEGATIVE_LIMIT)),
    }


def main(argv: list[str] | None = None) -> int:
    data = default_data_root()
    parser = argparse.ArgumentParser(prog="python -m segmentation.tools.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=data / "people" / "web_photos" / "images")
    parser.add_argument("--masks", type=Path, default=data / "people" / "web_photos" / "masks")
    parser.add_argument(
        "--validation-only",
        action="store_true",
        help="only the held-out split that training never sees (hash of the file stem)",
    )
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument(
        "--skip-reviewed",
        action="store_true",
        help="also report the figures without the photos whose masks were reviewed and found wrong",
    )
    parser.add_argument("--clip", type=Path, default=None, help="video for the flicker figure")
    parser.add_argument("--sheet", type=Path, default=None, help="write a PNG of the worst cases here")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--spec", type=Path, default=None, help="model spec (default: the shipped model)")
    parser.add_argument("--teacher-models", type=Path, default=data / "models")
    parser.add_argument(
        "--negatives",
        action="store_true",
        help="also score the held-out person-free photos (the negative test set) for false persons",
    )
    parser.add_argument(
        "--pixel-budget",
        type=int,
        default=None,
        help="model input pixels for the photos (default: the spec's, 256*144; the teacher uses 256*256 on photos)",
    )
    args = parser.parse_args(argv)

    from segmentation.peers.mediapipe import MediaPipeSelfie

    segmenter = load_segmenter(device="cpu", spec_path=args.spec, pixel_budget=args.pixel_budget)
    teacher = MediaPipeSelfie(args.teacher_models)
    scores, predictions = score_photos(
        args.images,
        args.masks,
        validation_only=args.validation_only,
        val_fraction=args.val_fraction,
        segmenter=segmenter,
        teacher=teacher,
    )
    results: dict[str, float] = {"photos": len(scores), **mean_scores(scores)}
    if args.skip_reviewed:
        kept = [s for s in scores if s.name not in REVIEWED_WEB_PHOTOS]
        results["photos_without_reviewed"] = len(kept)
        results.update({f"{key}_without_reviewed": value for key, value in mean_scores(kept).items()})
    results["pixel_budget"] = segmenter.pixel_budget
    if args.negatives:
        results.update(score_negatives(negative_test_photos(data), segmenter, teacher))
    if args.clip is not None:
        app_budget = load_spec(args.spec).pixel_budget  # the clip runs at the app's own input size
        results.update(clip_flicker(args.clip, segmenter, teacher, pixel_budget=app_budget))
    print(
        f"{results['photos']} photos ({'held-out split' if args.validation_only else 'all'}), "
        f"model {segmenter.info.model_name} on {segmenter.info.backend}, photo pixel budget {results['pixel_budget']}"
    )
    print(f"{'':<22}{'ours':>10}{'teacher':>10}")
    print(f"{'mean IoU':<22}{results['iou_ours']:>10.4f}{results['iou_teacher']:>10.4f}")
    print(f"{'boundary F (3 px)':<22}{results['boundary_f_ours']:>10.4f}{results['boundary_f_teacher']:>10.4f}")
    print(f"{'glow (3-10 px out)':<22}{results['glow_ours']:>10.4f}{results['glow_teacher']:>10.4f}")
    if "negative_photos" in results:
        for label, key in (("person-free: mean area", "negative_area"), ("person-free: largest", "negative_max")):
            print(f"{label:<22}{results[f'{key}_ours']:>10.4f}{results[f'{key}_teacher']:>10.4f}")
        print(
            f"{'person-free: over 3%':<22}{results['negative_over_limit_ours']:>10}"
            f"{results['negative_over_limit_teacher']:>10}   (of {results['negative_photos']} held-out photos)"
        )
    if "photos_without_reviewed" in results:
        print(f"without the {results['photos'] - results['photos_without_reviewed']} reviewed wrong masks:")
        for label, key in (("mean IoU", "iou"), ("boundary F (3 px)", "boundary_f")):
            ours, theirs = results[f"{key}_ours_without_reviewed"], results[f"{key}_teacher_without_reviewed"]
            print(f"{label:<22}{ours:>10.4f}{theirs:>10.4f}")
    if "flicker_ours" in results:
        print(
            f"{'static-edge flicker':<22}{results['flicker_ours']:>10.4f}{results['flicker_teacher']:>10.4f}"
            f"   ({results['flicker_frames']} frames of {args.clip.name}; lower is steadier)"
        )
    if args.sheet:
        worst_case_sheet(scores, predictions, args.sheet)
        print(f"worst cases: {args.sheet}")
    if args.json:
        per_photo = [dataclasses.asdict(score) for score in sorted(scores, key=lambda score: score.iou)]
        args.json.write_text(json.dumps({**results, "per_photo": per_photo}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
