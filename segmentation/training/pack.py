"""A compact copy of the training material, for a run on a machine without the data folder (a rented GPU).

    python -m segmentation.training.pack --out runs/pack [--pack-max-side 320] [training flags...]

builds the material exactly as ``python -m segmentation.training`` would with the same flags (teacher labels come
from the label cache, or are computed once), downscales it and writes a folder: ``manifest.json``, JPEG images and
PNG masks (grey, soft labels kept). A run then trains from it with ``--data-pack runs/pack``, reading nothing else.
With ``--temporal-weight`` above 0 the pack also holds the temporal term's frame pairs (``temporal.FramePair``).
With the shipped recipe's flags (see ``docs/model/v5-config.json``) it took 34 MiB at ``--pack-max-side 256
--pack-quality 85`` and 52 MiB at the defaults (320 px, quality 90).

The pack holds training-only data (see the data README): it goes to the machine that trains and is never shipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from segmentation.training.dataset import TrainingMaterial
from segmentation.training.sources import LabelledImage, cap_side
from segmentation.training.temporal import FramePair

PACK_VERSION = 1
MANIFEST = "manifest.json"


def _write_image(path: Path, rgb: np.ndarray, quality: int) -> str:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"cannot write {path}")
    return path.name


def _write_grey(path: Path, values: np.ndarray) -> str:
    """``values`` (H, W) float in [0, 1] as an 8-bit grey PNG."""
    if not cv2.imwrite(str(path), np.rint(np.clip(values, 0.0, 1.0) * 255.0).astype(np.uint8)):
        raise OSError(f"cannot write {path}")
    return path.name


def _labelled_entries(items: list[LabelledImage], folder: Path, prefix: str, max_side: int, quality: int) -> list:
    entries = []
    for index, item in enumerate(items):
        rgb = cap_side(item.rgb, max_side)
        mask = cv2.resize(item.mask, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_AREA)
        stem = f"{prefix}{index:05d}"
        entries.append(
            {
                "name": item.name,
                "image": _write_image(folder / f"{stem}.jpg", rgb, quality),
                "mask": _write_grey(folder / f"{stem}.png", mask),
                "soft": item.soft,
                "weight": item.weight,
            }
        )
    return entries


def write_pack(
    material: TrainingMaterial,
    validation: list[LabelledImage],
    out: Path,
    *,
    max_side: int = 320,
    validation_max_side: int = 640,
    quality: int = 90,
    pairs: list[FramePair] | None = None,
) -> dict:
    """Write ``material`` (long sides capped at ``max_side``), the validation photos (at ``validation_max_side``,
    so that a run's validation figures stay comparable) and the frame ``pairs`` of the temporal term, if any, to
    ``out``; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    cutouts: list[dict[str, str]] = []
    backgrounds: list[str] = []
    manifest = {
        "version": PACK_VERSION,
        "hand_labelled": _labelled_entries(material.hand_labelled, out, "hand", max_side, quality),
        "teacher_labelled": _labelled_entries(material.teacher_labelled, out, "teacher", max_side, quality),
        "validation": _labelled_entries(validation, out, "validation", validation_max_side, quality),
        "cutouts": cutouts,
        "backgrounds": backgrounds,
        "pairs": [_pair_entry(pair, out, f"pair{i:05d}", max_side, quality) for i, pair in enumerate(pairs or [])],
    }
    for index, (rgb, alpha) in enumerate(material.cutouts):
        small = cap_side(rgb, max_side)
        small_alpha = cv2.resize(alpha, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
        # A cut-out's colour outside its alpha is never seen: PNG keeps the edge exact where JPEG would smear it.
        if not cv2.imwrite(str(out / f"cutout{index:04d}.png"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR)):
            raise OSError(f"cannot write {out / f'cutout{index:04d}.png'}")
        cutouts.append(
            {"image": f"cutout{index:04d}.png", "alpha": _write_grey(out / f"cutout{index:04d}_alpha.png", small_alpha)}
        )
    for index, rgb in enumerate(material.backgrounds):
        backgrounds.append(_write_image(out / f"background{index:04d}.jpg", cap_side(rgb, max_side), quality))
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _pair_entry(pair: FramePair, folder: Path, stem: str, max_side: int, quality: int) -> dict:
    """Both frames of ``pair`` as JPEGs and their alphas as grey PNGs, long sides capped at ``max_side``."""
    images, alphas = [], []
    for which, (rgb, alpha) in enumerate(zip(pair.rgb, pair.alpha, strict=True)):
        small = cap_side(rgb, max_side)
        small_alpha = cv2.resize(alpha, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
        images.append(_write_image(folder / f"{stem}_{which}.jpg", small, quality))
        alphas.append(_write_grey(folder / f"{stem}_{which}.png", small_alpha.astype(np.float32) / 255.0))
    return {"name": pair.name, "images": images, "alphas": alphas}


def _read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"the data pack's {path.name} cannot be read; write the pack again")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _read_grey(path: Path) -> np.ndarray:
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ValueError(f"the data pack's {path.name} cannot be read; write the pack again")
    return grey.astype(np.float32) / 255.0


def read_pack(folder: Path) -> tuple[TrainingMaterial, list[LabelledImage]]:
    """``(TrainingMaterial, validation_photos)`` from a folder ``write_pack`` wrote."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{folder} is not a data pack (no {MANIFEST}); write one with python -m {__spec__.name}")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("version") != PACK_VERSION:
        raise ValueError(f"{folder} is a data pack of version {manifest.get('version')}, not {PACK_VERSION}")

    def labelled(entries: list[dict]) -> list[LabelledImage]:
        return [
            LabelledImage(
                entry["name"],
                _read_rgb(folder / entry["image"]),
                _read_grey(folder / entry["mask"]),
                bool(entry["soft"]),
                entry["weight"],
            )
            for entry in entries
        ]

    material = TrainingMaterial(
        hand_labelled=labelled(manifest["hand_labelled"]),
        teacher_labelled=labelled(manifest["teacher_labelled"]),
        cutouts=[
            (_read_rgb(folder / entry["image"]), _read_grey(folder / entry["alpha"])) for entry in manifest["cutouts"]
        ],
        backgrounds=[_read_rgb(folder / name) for name in manifest["backgrounds"]],
    )
    return material, labelled(manifest["validation"])


def read_pack_pairs(folder: Path) -> list[FramePair]:
    """The temporal term's frame pairs of a data pack (empty when it was written without them)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    pairs = []
    for entry in manifest.get("pairs", []):
        rgb = np.stack([_read_rgb(folder / name) for name in entry["images"]])
        alpha = np.stack([np.rint(_read_grey(folder / name) * 255.0).astype(np.uint8) for name in entry["alphas"]])
        pairs.append(FramePair(entry["name"], rgb, alpha))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmentation.training.pack", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pack to")
    parser.add_argument("--pack-max-side", type=int, default=320, help="cap on the long side of training pictures")
    parser.add_argument("--pack-quality", type=int, default=90, help="JPEG quality of the pictures")
    args, training_flags = parser.parse_known_args(argv)
    from segmentation.training.config import parse_config
    from segmentation.training.trainer import training_material, training_pairs

    config = parse_config(training_flags)
    if config.data_pack is not None:
        parser.error("a pack is written from the data folder: leave out --data-pack")
    material, validation = training_material(config)
    pairs = training_pairs(config)
    write_pack(material, validation, args.out, max_side=args.pack_max_side, quality=args.pack_quality, pairs=pairs)
    size = sum(path.stat().st_size for path in args.out.iterdir())
    counts = f"{len(material.hand_labelled)} hand-labelled, {len(material.teacher_labelled)} teacher-labelled"
    counts += f", {len(pairs)} frame pairs" if pairs else ""
    print(f"wrote {args.out}: {counts}, {len(validation)} validation photos, {size / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
