"""``python -m segmentation.tools.compare BASE.json CANDIDATE.json``: two models' held-out scores, photo by photo.

Both files are written by ``python -m segmentation.tools.evaluate --json`` on the same photos and pixel budget. With 54
photos whose scores spread from 0.2 to 0.98, the difference of two means says little on its own; pairing each photo
with itself removes the spread between photos, so the standard error of the mean per-photo difference shows whether a
gain is more than noise. Prints, for IoU and boundary F: both means, the mean difference (candidate - base) with its
standard error, and on how many photos the candidate is better or worse by more than ``--margin``.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PairedDifference:
    """Candidate minus base over photos present in both; ``better``/``worse``: photos beyond the margin."""

    base_mean: float
    candidate_mean: float
    mean_difference: float
    standard_error: float
    better: int
    worse: int
    photos: int


def paired_difference(base: dict[str, float], candidate: dict[str, float], margin: float = 0.005) -> PairedDifference:
    """``base``/``candidate``: photo name -> score. Raises ``ValueError`` unless both score the same photos (at
    least two)."""
    if set(base) != set(candidate):
        only = sorted(set(base) ^ set(candidate))[:5]
        raise ValueError(f"the two files score different photos (for example {only}); evaluate both on one split")
    if len(base) < 2:
        raise ValueError("need at least two photos for a standard error")
    names = sorted(base)
    differences = [candidate[name] - base[name] for name in names]
    mean = sum(differences) / len(differences)
    variance = sum((value - mean) ** 2 for value in differences) / (len(differences) - 1)
    return PairedDifference(
        base_mean=sum(base.values()) / len(base),
        candidate_mean=sum(candidate.values()) / len(candidate),
        mean_difference=mean,
        standard_error=math.sqrt(variance / len(differences)),
        better=sum(value > margin for value in differences),
        worse=sum(value < -margin for value in differences),
        photos=len(differences),
    )


def _read_report(path: Path) -> dict:
    report = json.loads(path.read_text())
    if "per_photo" not in report:
        raise ValueError(f"{path} has no per-photo scores; write it with python -m segmentation.tools.evaluate --json")
    return report


def _per_photo(report: dict, key: str) -> dict[str, float]:
    return {photo["name"]: float(photo[key]) for photo in report["per_photo"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.tools.compare", description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="evaluate --json of the model to compare against")
    parser.add_argument("candidate", type=Path, help="evaluate --json of the new model, same photos and budget")
    parser.add_argument("--margin", type=float, default=0.005, help="a photo counts as better/worse beyond this")
    args = parser.parse_args(argv)
    try:
        base, candidate = _read_report(args.base), _read_report(args.candidate)
        base_budget, candidate_budget = base.get("pixel_budget", 0), candidate.get("pixel_budget", 0)
        if base_budget != candidate_budget:
            raise ValueError(f"pixel budgets differ ({base_budget} vs {candidate_budget}); compare like with like")
        rows = [
            (label, paired_difference(_per_photo(base, key), _per_photo(candidate, key), args.margin))
            for label, key in (("IoU", "iou"), ("boundary F", "boundary_f"))
        ]
    except (OSError, ValueError, KeyError) as error:
        parser.exit(2, f"compare: {error}\n")
    print(f"{rows[0][1].photos} photos, pixel budget {base_budget}; difference = candidate - base")
    print(f"{'':12}{'base':>8}{'candidate':>11}{'difference':>12}{'(s.e.)':>9}  better/worse by > {args.margin:g}")
    for label, row in rows:
        print(
            f"{label:12}{row.base_mean:8.4f}{row.candidate_mean:11.4f}{row.mean_difference:+12.4f}"
            f"{row.standard_error:9.4f}  {row.better}/{row.worse}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
