"""``python -m segmentation.tools.webcam_eval``: the person segmenter on held-out webcam clips, against RVM.

What users point their camera at is a person at a desk, not a web photo. This scores our model (through
``load_segmenter`` and ``seg(rgb)`` at the model's own input size, as the app's default) and the MediaPipe selfie
model on clips of the shared footage that training never sees, with Robust Video Matting's recurrent alpha
(``training.rvm_teacher``, cached on disk) as the reference:

- IoU and boundary F (3 px) at 0.5, on every ``--every``-th frame;
- flicker: the mean change of the mask between consecutive frames, over pixels where the reference itself changed by
  less than ``STEADY_REFERENCE`` (a still arm should not flicker; a moving one may change).

Held-out clips are chosen by recording, not by file: clips are grouped by the repository they came from (in the
footage's names, ``OWNER__REPO__FILE``; one repository is usually one person and room), and a group is held out when
``training.sources.held_out_footage`` says so, so nobody held out appears in a training clip: training leaves out the
same groups.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from segmentation.data_root import default_data_root
from segmentation.metrics import boundary_f_score, iou
from segmentation.training.rvm_teacher import RobustVideoMatting, cached_clip_alphas
from segmentation.training.sources import held_out_footage
from segmentation.weights import load_spec

STEADY_REFERENCE = 0.02  # alpha: the reference changed by less than this between two frames
MAX_SIDE = 640  # the footage is at most 640 px; frames are read at that size or smaller


def held_out_clips(footage: Path) -> list[Path]:
    return sorted(clip for clip in footage.glob("*.mp4") if held_out_footage(clip))


@dataclass(frozen=True)
class ClipScores:
    """One model on one clip: mean IoU and boundary F over the scored frames, and flicker (mean mask change in
    [0, 1] where the reference was steady)."""

    clip: str
    model: str
    iou: float
    boundary_f: float
    flicker: float
    scored_frames: int


def read_clip(clip: Path, max_frames: int) -> list[np.ndarray]:
    """The first ``max_frames`` frames as (H, W, 3) uint8 RGB, the longer side at most ``MAX_SIDE``."""
    capture = cv2.VideoCapture(str(clip))
    frames: list[np.ndarray] = []
    try:
        while len(frames) < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            scale = MAX_SIDE / max(rgb.shape[:2])
            if scale < 1:
                rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            frames.append(rgb)
    finally:
        capture.release()
    return frames


def score_clip(
    name: str,
    model: str,
    segment: Callable[[np.ndarray], np.ndarray],
    frames: np.ndarray,
    reference: np.ndarray,
    every: int,
) -> ClipScores:
    """Scores of ``segment`` ((H, W, 3) uint8 -> (H, W) probability) on ``frames`` against ``reference`` alphas
    ((N, H, W) uint8, 0-255)."""
    masks = [segment(frame) for frame in frames]
    truth = reference.astype(np.float32) / 255.0
    scored = range(0, len(frames), every)
    changes = []
    for index in range(1, len(frames)):
        steady = np.abs(truth[index] - truth[index - 1]) < STEADY_REFERENCE
        if steady.any():
            changes.append(float(np.abs(masks[index] - masks[index - 1])[steady].mean()))
    return ClipScores(
        clip=name,
        model=model,
        iou=float(np.mean([iou(masks[index], truth[index]) for index in scored])),
        boundary_f=float(np.mean([boundary_f_score(masks[index], truth[index]) for index in scored])),
        flicker=float(np.mean(changes)) if changes else 0.0,
        scored_frames=len(scored),
    )


def evaluate_clips(
    clips: list[Path],
    models: dict[str, Callable[[np.ndarray], np.ndarray]],
    *,
    cache_dir: Path,
    teacher: Callable[[], RobustVideoMatting],
    max_frames: int,
    every: int,
) -> list[ClipScores]:
    """Scores of every model on every clip (the reference computed once per clip and cached)."""
    rows = []
    for clip in clips:
        frames, reference = cached_clip_alphas(
            clip, cache_dir, lambda path: read_clip(path, max_frames), teacher, tag=f"first{max_frames}_{MAX_SIDE}"
        )
        for name, segment in models.items():
            rows.append(score_clip(clip.stem, name, segment, frames, reference, every))
    return rows


def summary(rows: list[ClipScores]) -> dict[str, dict[str, float]]:
    """Per model: the means over clips of IoU, boundary F and flicker (each clip counts once)."""
    by_model: dict[str, list[ClipScores]] = {}
    for row in rows:
        by_model.setdefault(row.model, []).append(row)
    return {
        model: {
            "iou": float(np.mean([row.iou for row in scores])),
            "boundary_f": float(np.mean([row.boundary_f for row in scores])),
            "flicker": float(np.mean([row.flicker for row in scores])),
            "clips": len(scores),
        }
        for model, scores in by_model.items()
    }


def per_clip_table(rows: list[ClipScores]) -> str:
    """One line per clip and model (IoU, boundary F, flicker), clips in order: the mean over clips hides which clip
    a model loses on, and one hard clip (a small person far back in an office) can move it by several hundredths."""
    width = max([len("model"), *(len(row.model) for row in rows)]) + 1  # whole labels: "@36864" must not lose digits
    lines = [f"{'clip':<44}{'model':<{width}}{'IoU':>8}{'boundary F':>12}{'flicker':>10}"]
    for row in sorted(rows, key=lambda row: row.clip):
        lines.append(
            f"{row.clip[:43]:<44}{row.model:<{width}}{row.iou:>8.3f}{row.boundary_f:>12.3f}{row.flicker:>10.4f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    data = default_data_root()
    parser = argparse.ArgumentParser(
        prog="python -m segmentation.tools.webcam_eval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--footage", type=Path, default=data / "people" / "footage" / "videos")
    parser.add_argument(
        "--spec",
        type=Path,
        action="append",
        default=None,
        help="model spec .json (default: the shipped model); repeat to score several models",
    )
    parser.add_argument(
        "--pixel-budget",
        type=int,
        action="append",
        default=None,
        help="model input pixels (default: the spec's own); repeat to score each model at several input sizes",
    )
    parser.add_argument("--frames", type=int, default=150, help="frames read from the start of each clip")
    parser.add_argument("--every", type=int, default=5, help="score IoU and boundary F on every N-th frame")
    parser.add_argument("--cache", type=Path, default=Path("runs") / "rvm_cache", help="RVM reference cache")
    parser.add_argument("--no-mediapipe", action="store_true", help="score our model only")
    parser.add_argument("--json", type=Path, default=None, help="also write every row and the summary here")
    parser.add_argument("--per-clip", action="store_true", help="also print every clip's scores, model by model")
    args = parser.parse_args(argv)
    clips = held_out_clips(args.footage)
    if not clips:
        print(f"no held-out clips in {args.footage}; is the shared data folder there?", file=sys.stderr)
        return 2
    from segmentation import load_segmenter

    models: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
    for spec in args.spec or [None]:
        segmenter = load_segmenter(device="cpu", spec_path=spec)
        name = segmenter.info.model_name
        if spec is not None and len({path.resolve() for path in args.spec}) > len(
            {load_spec(p).name for p in args.spec}
        ):
            name = f"{name} ({spec.parent.name})"  # two specs of one name: tell them apart by their folders
        for budget in args.pixel_budget or [None]:
            label = name if budget is None else f"{name} @{budget} px"
            models[label] = partial(segmenter, pixel_budget=budget)
    if not args.no_mediapipe:
        from segmentation.peers.mediapipe import MediaPipeSelfie

        models["mediapipe selfie"] = MediaPipeSelfie(data / "models")
    rows = evaluate_clips(
        clips,
        models,
        cache_dir=args.cache,
        teacher=lambda: RobustVideoMatting(data / "models"),
        max_frames=args.frames,
        every=args.every,
    )
    print(f"{len(clips)} held-out webcam clips ({', '.join(clip.stem for clip in clips)}), reference RVM")
    print(f"{'model':<40}{'IoU':>8}{'boundary F':>12}{'flicker':>10}")
    totals = summary(rows)
    for model, scores in totals.items():
        print(f"{model:<40}{scores['iou']:>8.3f}{scores['boundary_f']:>12.3f}{scores['flicker']:>10.4f}")
    if args.per_clip:
        print()
        print(per_clip_table(rows))
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": [asdict(row) for row in rows], "summary": totals}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
