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


def _write_labelled(
    folder: Path, stem: str, rgb: np.ndarray, mask: np.ndarray, max_side: int, quality: int
) -> tuple[str, str]:
    """(H, W, 3) uint8 ``rgb`` as ``stem.jpg`` and its (H, W) float ``mask`` in [0, 1] as ``stem.png``, long sides
    capped at ``max_side``; returns the two file names."""
    small = cap_side(rgb, max_side)
    small_mask = cv2.resize(mask, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    return _write_image(folder / f"{stem}.jpg", small, quality), _write_grey(folder / f"{stem}.png", small_mask)


def _labelled_entries(items: list[LabelledImage], folder: Path, prefix: str, max_side: int, quality: int) -> list:
    entries = []
    for index, item in enumerate(items):
        image, mask = _write_labelled(folder, f"{prefix}{index:05d}", item.rgb, item.mask, max_side, quality)
        entries.append({"name": item.name, "image": image, "mask": mask, "soft": item.soft, "weight": item.weight})
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
    written = [
        _write_labelled(folder, f"{stem}_{which}", rgb, alpha.astype(np.float32) / 255.0, max_side, quality)
        for which, (rgb, alpha) in enumerate(zip(pair.rgb, pair.alpha, strict=True))
    ]
    return {"name": pair.name, "images": [image for image, _ in written], "alphas": [alpha for _, alpha in written]}


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
    manifest = _read_manifest(folder)

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
    """The temporal term's frame pairs of a data pack (empty when it was written without them). Raises
    ``ValueError`` for a folder that is no pack, and for a pair whose two frames differ in size."""
    pairs = []
    for entry in _read_manifest(folder).get("pairs", []):
        frames = [_read_rgb(folder / name) for name in entry["images"]]
        alphas = [np.rint(_read_grey(folder / name) * 255.0).astype(np.uint8) for name in entry["alphas"]]
        if len({picture.shape[:2] for picture in frames + alphas}) != 1:
            raise ValueError(f"the data pack's pair {entry['name']} has pictures of different sizes; write it again")
        pairs.append(FramePair(entry["name"], np.stack(frames), np.stack(alphas)))
    return pairs


def _read_manifest(folder: Path) -> dict:
    """The manifest of the data pack in ``folder``; ``ValueError`` when there is none or it is of another version."""
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{folder} is not a data pack (no {MANIFEST}); write one with python -m {__spec__.name}")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("version") != PACK_VERSION:
        raise ValueError(f"{folder} is a data pack of version {manifest.get('version')}, not {PACK_VERSION}")
    return manifest


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
