"""Training of the edge refiner (``segmentation.inference.edge_refiner``) for a segmenter's masks.

    python -m segmentation.training.edge_refiner --run-dir runs/edges [--spec SPEC] [--steps 1000] [--attach]

``--attach`` writes the trained refiner beside the model's spec as ``NAME-edges.safetensors`` and names it, with its
SHA-256, in the spec (``refiner_file``, ``refiner_sha256``), so that ``load_segmenter`` uses it.

The refiner learns to upsample *this* model's masks: every sample is a full-resolution picture with a target alpha,
the shipped segmenter (``load_segmenter``, second look included) gives its mask at each of ``BUDGETS``, and the
refiner is trained so that its alpha, applied to the full-resolution picture, matches the target (L1, 5x weight in
a band around the target's outline). The segmenter stays frozen.

Material (``make_material``, written once to ``RUN_DIR/material/``):
- the training split of the hand-labelled web photos (binary masks), at most 1280 px;
- frames of the training footage clips (none of the held-out recording groups), with RVM's recurrent alpha: every
  2nd frame of the first 90 runs through RVM and frames 15, 25 and 35 of those are kept;
- the footage photos with RVM's alpha after ``rvm_teacher.STILL_PASSES`` passes, at most 1024 px.
RVM (GPL-3.0) makes labels only; nothing of it is shipped.

``EdgeRefinerNet`` is the torch twin of ``LearntEdgeRefiner``: the same features (box means with a reflect-101
border), the same network, the same names; ``export`` writes its tensors as float32 safetensors.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from segmentation.data_root import default_data_root
from segmentation.inference.edge_refiner import (
    FEATURE_COUNT,
    FEATURE_RADII,
    GUIDE_EPS,
    GUIDE_RADIUS,
    REFINER_TENSORS,
    ClassicGuidedFilter,
    apply_coefficients,
    check_refiner_tensors,
)
from segmentation.metrics import GLOW_BAND_PX, boundary_f_score, iou, outside_glow
from segmentation.training.config import TrainConfig
from segmentation.weights import default_spec_path, load_spec, sha256_of, write_spec

BUDGETS = (256 * 144, 320 * 176, 480 * 272)  # the input sizes the evaluation reports (16:9 frames)
HIDDEN = 16
EDGE_WEIGHT = 4.0  # extra L1 weight in the band around the target's outline
SAMPLES_PER_STEP = 8
_LUMA = (0.299, 0.587, 0.114)
_FLOOR = 1e-6


def box(image: torch.Tensor, radius: int) -> torch.Tensor:
    """(N, C, h, w) -> the same, each pixel the mean of its (2r+1)^2 window, reflect-101 border (``cv2.blur``)."""
    padded = F.pad(image, (radius, radius, radius, radius), mode="reflect")
    return F.avg_pool2d(padded, 2 * radius + 1, stride=1)


def _fit(guide: torch.Tensor, mask: torch.Tensor, radius: int) -> tuple[torch.Tensor, ...]:
    mean_guide, mean_mask = box(guide, radius), box(mask, radius)
    covariance = box(guide * mask, radius) - mean_guide * mean_mask
    variance = (box(guide * guide, radius) - mean_guide * mean_guide).clamp_min(0.0)
    return covariance / (variance + GUIDE_EPS), mean_mask, mean_guide, variance


class EdgeRefinerNet(nn.Module):
    """Torch twin of ``LearntEdgeRefiner``. ``coefficients(mask, grey)``: mask (N, 1, h, w) in [0, 1], grey
    (N, 1, h, w) in [0, 1] (the small frame's uint8 luma / 255) -> (slope, level), each (N, 1, h, w). The last
    layer starts at zero, so an untrained net is the classic guided filter."""

    feature_mean: torch.Tensor
    feature_std: torch.Tensor

    def __init__(self, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.register_buffer("feature_mean", torch.zeros(FEATURE_COUNT))
        self.register_buffer("feature_std", torch.ones(FEATURE_COUNT))
        self.layer0 = nn.Conv2d(FEATURE_COUNT, hidden, 1)
        self.layer1 = nn.Conv2d(hidden, hidden, 1)
        self.layer2 = nn.Conv2d(hidden, 2, 1, bias=True)
        nn.init.zeros_(self.layer2.weight)
        nn.init.zeros_(cast(torch.Tensor, self.layer2.bias))

    @staticmethod
    def features(mask: torch.Tensor, grey: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """(N, FEATURE_COUNT, h, w) in ``refiner_features``' order, and the classic fit (slope, mean mask, mean
        grey)."""
        features = [mask]
        base: tuple = ()
        for radius in FEATURE_RADII:
            slope, mean_mask, mean_grey, grey_variance = _fit(grey, mask, radius)
            mask_variance = (box(mask * mask, radius) - mean_mask * mean_mask).clamp_min(0.0)
            features += [mean_mask, (mask_variance + _FLOOR).sqrt(), (grey_variance + _FLOOR).sqrt(), slope]
            if radius == GUIDE_RADIUS:
                base = (slope, mean_mask, mean_grey)
        return torch.cat(features, dim=1), base

    def coefficients(self, mask: torch.Tensor, grey: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, (slope, mean_mask, mean_grey) = self.features(mask, grey)
        scaled = (features - self.feature_mean.view(1, -1, 1, 1)) / self.feature_std.view(1, -1, 1, 1)
        correction = self.layer2(F.relu(self.layer1(F.relu(self.layer0(scaled)))))
        slope = slope + correction[:, 0:1]
        level = mean_mask + correction[:, 1:2] - slope * mean_grey
        return box(slope, GUIDE_RADIUS), box(level, GUIDE_RADIUS)

    def forward(self, mask: torch.Tensor, grey: torch.Tensor, frame_grey: torch.Tensor) -> torch.Tensor:
        """The alpha at ``frame_grey``'s size ((N, 1, H, W), ``frame_grey`` in [0, 1]), unclipped."""
        slope, level = self.coefficients(mask, grey)
        size = frame_grey.shape[-2:]
        slope = F.interpolate(slope, size=size, mode="bilinear", align_corners=False)
        level = F.interpolate(level, size=size, mode="bilinear", align_corners=False)
        return slope * frame_grey + level


def export(net: EdgeRefinerNet, path: Path) -> None:
    """Write ``net``'s tensors under ``REFINER_TENSORS``' names as float32 safetensors (checked first)."""
    from safetensors.numpy import save_file

    state = net.state_dict()
    tensors = {name: state[name].detach().float().numpy().copy() for name in REFINER_TENSORS}
    for index in range(3):
        weight = f"layer{index}.weight"
        tensors[weight] = tensors[weight].reshape(tensors[weight].shape[:2])
    check_refiner_tensors(tensors)
    save_file(tensors, str(path))


@dataclass
class Sample:
    """One picture: ``frame_grey`` (H, W) uint8, ``target`` (H, W) uint8 alpha, ``band`` (H, W) bool (near the
    target's outline), ``outside`` (H, W) bool (``GLOW_BAND_PX`` outside it, where a glow shows), and per budget of
    ``BUDGETS`` the segmenter's (small (h, w, 3) uint8, mask (h, w) float32)."""

    name: str
    frame_grey: np.ndarray
    target: np.ndarray
    band: np.ndarray
    outside: np.ndarray
    masks: list[tuple[np.ndarray, np.ndarray]]


def make_material(data_root: Path, folder: Path) -> None:
    """Write ``folder/KIND_NAME.npz`` (``rgb`` uint8, ``alpha`` uint8) for every picture of the module docstring's
    material, skipping those already written."""
    from segmentation.training.material import web_photo_split
    from segmentation.training.rvm_teacher import RobustVideoMatting
    from segmentation.training.sources import held_out_footage, read_rgb, video_frames

    folder.mkdir(parents=True, exist_ok=True)
    train, _ = web_photo_split(data_root, TrainConfig.val_fraction, 1280)
    for item in train:
        _save(folder / f"web_{item.name}.npz", item.rgb, item.mask)
    teacher = RobustVideoMatting(data_root / "models")
    for clip in sorted((data_root / "people" / "footage" / "videos").glob("*.mp4")):
        if held_out_footage(clip) or (folder / f"clip_{clip.stem}_35.npz").is_file():
            continue
        frames = video_frames(clip, 2, 640, max_frames=90)
        for index, alpha in enumerate(teacher.clip(frames)):
            if index in (15, 25, 35):
                _save(folder / f"clip_{clip.stem}_{index}.npz", frames[index], alpha)
    for path in sorted((data_root / "people" / "footage" / "images").iterdir()):
        target = folder / f"still_{path.stem}.npz"
        if not target.is_file():
            rgb = read_rgb(path, 1024)
            _save(target, rgb, teacher.still(rgb))


def _save(path: Path, rgb: np.ndarray, alpha: np.ndarray) -> None:
    np.savez(path, rgb=rgb, alpha=np.rint(np.clip(alpha, 0.0, 1.0) * 255.0).astype(np.uint8))


def outline_band(alpha: np.ndarray) -> np.ndarray:
    """(H, W) bool: within max(3, longer side / 100) px of the 0.5 outline of the uint8 alpha."""
    person = (alpha >= 128).astype(np.uint8)
    reach = max(3, max(alpha.shape) // 100)
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    return (cv2.dilate(person, kernel) - cv2.erode(person, kernel)).astype(bool)


def glow_band(alpha: np.ndarray) -> np.ndarray:
    """(H, W) bool: ``GLOW_BAND_PX`` outside the 0.5 outline of the uint8 alpha (``metrics.outside_glow``'s band)."""
    room = (alpha < 128).astype(np.uint8)
    distance = cv2.distanceTransform(room, cv2.DIST_L2, 5)
    near, far = GLOW_BAND_PX
    return (distance >= near) & (distance <= far)


def load_samples(folder: Path, segmenter) -> list[Sample]:
    """Every picture of ``folder`` with the segmenter's masks at ``BUDGETS``."""
    samples = []
    for path in sorted(folder.glob("*.npz")):
        stored = np.load(path)
        rgb, alpha = stored["rgb"], stored["alpha"]
        masks = []
        for budget in BUDGETS:
            low = segmenter.infer(rgb, budget)
            masks.append((low.small, low.mask.astype(np.float32)))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        samples.append(Sample(path.stem, grey, alpha, outline_band(alpha), glow_band(alpha), masks))
    return samples


def _tensors(small: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask, grey) as the net takes them, batch of one."""
    return torch.from_numpy(mask)[None, None], _plane(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))


def _plane(image: np.ndarray, scale: float = 1.0 / 255.0) -> torch.Tensor:
    return torch.from_numpy(image.astype(np.float32) * scale)[None, None]


def standardise(net: EdgeRefinerNet, samples: list[Sample], rng: random.Random) -> None:
    """Set the net's feature mean and spread from up to 200 samples' masks at the first budget."""
    with torch.no_grad():
        columns = []
        for sample in rng.sample(samples, min(200, len(samples))):
            features, _ = net.features(*_tensors(*sample.masks[0]))
            columns.append(features.flatten(2)[0])
        stacked = torch.cat(columns, dim=1)
        net.feature_mean.copy_(stacked.mean(dim=1))
        net.feature_std.copy_(stacked.std(dim=1) + 1e-3)


def step_loss(
    net: EdgeRefinerNet, sample: Sample, budget_index: int, flip: bool, glow_weight: float = 0.0
) -> torch.Tensor:
    """Band-weighted mean L1 between the refined alpha (clipped to [0, 1]) and the sample's target: weight 1, plus
    ``EDGE_WEIGHT`` near the outline, plus ``glow_weight`` in the glow band outside it."""
    mask, grey = _tensors(*sample.masks[budget_index])
    frame, target = _plane(sample.frame_grey), _plane(sample.target)
    weight = 1.0 + EDGE_WEIGHT * _plane(sample.band, 1.0) + glow_weight * _plane(sample.outside, 1.0)
    if flip:
        mask, grey, frame, target, weight = (t.flip(-1) for t in (mask, grey, frame, target, weight))
    alpha = net(mask, grey, frame).clamp(0.0, 1.0)
    return ((alpha - target).abs() * weight).sum() / weight.sum()


def held_out_scores(refine, items, segmenter, budget: int) -> tuple[float, float, float]:
    """Mean IoU, boundary F and glow over held-out ``items`` of the alpha ``refine(mask, small_grey) -> (slope, level)``
    gives at ``budget``."""
    scores = []
    for item in items:
        low = segmenter.infer(item.rgb, budget)
        slope, level = refine(low.mask, cv2.cvtColor(low.small, cv2.COLOR_RGB2GRAY))
        alpha = apply_coefficients(slope, level, cv2.cvtColor(item.rgb, cv2.COLOR_RGB2GRAY))
        scores.append((iou(alpha, item.mask), boundary_f_score(alpha, item.mask), outside_glow(alpha, item.mask)))
    mean = np.nanmean(np.array(scores), axis=0)
    return float(mean[0]), float(mean[1]), float(mean[2])


def main(argv: list[str] | None = None) -> int:
    from segmentation.inference import load_segmenter
    from segmentation.inference.edge_refiner import LearntEdgeRefiner
    from segmentation.training.sources import load_held_out

    parser = argparse.ArgumentParser(prog="python -m segmentation.training.edge_refiner", description=__doc__)
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--spec", type=Path, default=None, help="the model's spec (default: the shipped model)")
    parser.add_argument("--attach", action="store_true", help="name the trained refiner in the model's spec")
    parser.add_argument("--data-root", type=Path, default=default_data_root())
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--glow-weight", type=float, default=0.0, help="extra L1 weight 3-10 px outside the outline")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    spec_path = args.spec or default_spec_path()
    segmenter = load_segmenter(spec_path=spec_path, threads=args.threads)
    make_material(args.data_root, args.run_dir / "material")
    started = time.perf_counter()
    samples = load_samples(args.run_dir / "material", segmenter)
    took = time.perf_counter() - started
    print(f"{len(samples)} pictures, masks at {len(BUDGETS)} sizes in {took:.0f} s", flush=True)
    photos = args.data_root / "people" / "web_photos"
    held_out = load_held_out(photos / "images", photos / "masks", TrainConfig.val_fraction)
    net = EdgeRefinerNet()
    standardise(net, samples, rng)
    optimiser = torch.optim.Adam(net.parameters(), lr=args.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.learning_rate, total_steps=args.steps, pct_start=0.05
    )
    weights = args.run_dir / "edges.safetensors"
    log_rows: list[tuple[str, ...]] = [("step", "loss", "val_iou", "val_boundary_f", "val_glow")]
    classic = held_out_scores(ClassicGuidedFilter(), held_out, segmenter, BUDGETS[0])
    log_rows.append(("0", "", *(f"{value:.4f}" for value in classic)))
    print(f"classic guided filter: IoU {classic[0]:.4f} boundary F {classic[1]:.4f} glow {classic[2]:.4f}", flush=True)
    running = 0.0
    for step in range(1, args.steps + 1):
        optimiser.zero_grad()
        for _ in range(SAMPLES_PER_STEP):
            sample, budget = rng.choice(samples), rng.randrange(len(BUDGETS))
            loss = step_loss(net, sample, budget, rng.random() < 0.5, args.glow_weight)
            (loss / SAMPLES_PER_STEP).backward()
            running += loss.item() / SAMPLES_PER_STEP
        optimiser.step()
        schedule.step()
        if step % 250 == 0 or step == args.steps:
            export(net, weights)
            scores = held_out_scores(LearntEdgeRefiner.from_file(weights), held_out, segmenter, BUDGETS[0])
            mean_loss = running / (step - int(log_rows[-1][0]))
            running = 0.0
            log_rows.append((str(step), f"{mean_loss:.4f}", *(f"{value:.4f}" for value in scores)))
            print(
                f"step {step}: loss {mean_loss:.4f}, held-out IoU {scores[0]:.4f} boundary F {scores[1]:.4f} "
                f"glow {scores[2]:.4f} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            with (args.run_dir / "log.csv").open("w", newline="") as handle:
                csv.writer(handle).writerows(log_rows)
    if args.attach:
        attach(weights, spec_path)
    return 0


def attach(weights: Path, spec_path: Path) -> None:
    """Copy ``weights`` beside the spec at ``spec_path`` as ``NAME-edges.safetensors`` and name it in the spec."""
    spec = load_spec(spec_path)
    target = spec_path.parent / f"{spec.name}-edges.safetensors"
    shutil.copyfile(weights, target)
    write_spec(replace(spec, refiner_file=target.name, refiner_sha256=sha256_of(target)), spec_path.parent)
    print(f"attached {target} to {spec_path}")


if __name__ == "__main__":
    raise SystemExit(main())
