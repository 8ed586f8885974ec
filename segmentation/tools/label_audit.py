"""``python -m segmentation.tools.label_audit``: find hand masks that two independent models both contradict.

    python -m segmentation.tools.label_audit [--images DIR] [--masks DIR] [--sheet PNG] [--json FILE]

For every labelled photo it runs the shipped model and the MediaPipe teacher and flags the photo when the two
models agree with each other clearly better than either agrees with the hand mask (see ``is_suspect``). A flag is
a question, not a verdict: look at the sheet, and record what you decided, with the reason, in
``segmentation/training/label_review.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from segmentation.data_root import default_data_root
from segmentation.inference import load_segmenter
from segmentation.metrics import iou
from segmentation.tools.evaluate import prediction_sheet, score_photos
from segmentation.training.label_review import REVIEWED_WEB_PHOTOS
from segmentation.training.sources import is_validation


@dataclass(frozen=True)
class LabelAgreement:
    """IoUs (each in [0, 1]) between the hand mask and the two models, and between the models themselves."""

    name: str
    held_out: bool
    ours_vs_mask: float
    teacher_vs_mask: float
    ours_vs_teacher: float

    @property
    def best_model_fit(self) -> float:
        return max(self.ours_vs_mask, self.teacher_vs_mask)


def is_suspect(agreement: LabelAgreement, *, max_fit: float = 0.8, min_margin: float = 0.1) -> bool:
    """True when neither model fits the mask well (IoU < ``max_fit``) while they agree with each other at least
    ``min_margin`` better than the better of them fits the mask."""
    return agreement.best_model_fit < max_fit and agreement.ours_vs_teacher - agreement.best_model_fit >= min_margin


def audit(images: Path, masks: Path, segmenter, teacher, val_fraction: float = 0.2):
    """``(agreements, predictions)``: one ``LabelAgreement`` per photo, and name -> (rgb, mask, ours, teacher)."""
    scores, predictions = score_photos(
        images, masks, validation_only=False, val_fraction=val_fraction, segmenter=segmenter, teacher=teacher
    )
    agreements = [
        LabelAgreement(
            score.name,
            is_validation(score.name, val_fraction),
            score.iou,
            score.teacher_iou,
            iou(predictions[score.name][2], predictions[score.name][3]),
        )
        for score in scores
    ]
    return agreements, predictions


def review_sheet(agreements: list[LabelAgreement], predictions: dict, path: Path) -> None:
    """PNG, one row per photo: image | hand mask | ours | teacher, with the photo's name, split and IoUs on it."""
    captions = {
        a.name: (
            f"{a.name} ({'held out' if a.held_out else 'train'})",
            "hand mask",
            f"ours vs mask {a.ours_vs_mask:.2f}",
            f"teacher vs mask {a.teacher_vs_mask:.2f}",
        )
        for a in agreements
    }
    prediction_sheet(predictions, captions, path)


def main(argv: list[str] | None = None) -> int:
    data = default_data_root()
    parser = argparse.ArgumentParser(
        prog="python -m segmentation.tools.label_audit", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--images", type=Path, default=data / "people" / "web_photos" / "images")
    parser.add_argument("--masks", type=Path, default=data / "people" / "web_photos" / "masks")
    parser.add_argument("--teacher-models", type=Path, default=data / "models")
    parser.add_argument("--sheet", type=Path, default=None, help="write a PNG of the flagged photos here")
    parser.add_argument("--json", type=Path, default=None, help="write every photo's agreement figures here")
    args = parser.parse_args(argv)

    from segmentation.peers.mediapipe import MediaPipeSelfie

    segmenter = load_segmenter(device="cpu", pixel_budget=256 * 256)
    teacher = MediaPipeSelfie(args.teacher_models)
    agreements, predictions = audit(args.images, args.masks, segmenter, teacher)
    flagged = sorted((a for a in agreements if is_suspect(a)), key=lambda a: a.best_model_fit)
    print(f"{len(flagged)} of {len(agreements)} hand masks contradicted by both models:")
    for agreement in flagged:
        decision = REVIEWED_WEB_PHOTOS.get(agreement.name)
        print(
            f"  {agreement.name:>6} {'held out' if agreement.held_out else 'train':<8} "
            f"best fit {agreement.best_model_fit:.2f}, models agree {agreement.ours_vs_teacher:.2f}"
            f"  {'reviewed: ' + decision.reason if decision else 'not reviewed'}"
        )
    if args.sheet and flagged:
        review_sheet(flagged, predictions, args.sheet)
        print(f"review sheet: {args.sheet}")
    if args.json:
        rows = [dataclasses.asdict(a) | {"suspect": is_suspect(a)} for a in agreements]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
