"""Load the training material from the shared data folder into memory.

Layout expected under ``data_root`` (see the data README): ``people/web_photos/{images,masks}``,
``people/synthetic_people/{images,teacher_masks}``, ``people/video_frames/{images,teacher_masks}``,
``people/cutouts/*.png`` (RGBA), ``backgrounds/**/*.jpg``, ``videos/*.mp4``, ``models/*.tflite``.
Images are RGB uint8 with the long side capped at ``max_side``; masks are float32 in [0, 1].
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DEMO_CLIP_NAME = "pixabay_doctor_26732_960x540.mp4"  # held out: used for the flicker figure and the demo


@dataclass(frozen=True)
class LabelledImage:
    """One image with its person mask; ``soft`` is True for teacher labels, False for hand labels. ``weight`` scales
    the sample's loss; None means the default of its kind (1 for hand labels, the run's teacher weight for soft)."""

    name: str
    rgb: np.ndarray
    mask: np.ndarray
    soft: bool
    weight: float | None = None


def cap_side(image: np.ndarray, max_side: int, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """``image`` scaled down so that its longer side is at most ``max_side`` (unchanged if it already is)."""
    scale = max_side / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=interpolation)


def read_rgb(path: Path, max_side: int = 100_000) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 RGB; raises ``ValueError`` naming the file if it cannot."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot read image {path}")
    return cap_side(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side)


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Read a grey PNG mask as (H, W) float32 in [0, 1], resized to ``shape`` = (H, W) if needed."""
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ValueError(f"cannot read mask {path}")
    if grey.shape != shape:
        grey = cv2.resize(grey, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return grey.astype(np.float32) / 255.0


def load_labelled(images_dir: Path, masks_dir: Path, *, soft: bool, max_side: int) -> list[LabelledImage]:
    """Every image in ``images_dir`` whose stem has a ``.png`` mask in ``masks_dir``, sorted by name."""
    items = []
    for image_path in sorted(images_dir.iterdir()):
        mask_path = masks_dir / (image_path.stem + ".png")
        if not mask_path.is_file():
            continue
        rgb = read_rgb(image_path, max_side)
        items.append(LabelledImage(image_path.stem, rgb, read_mask(mask_path, rgb.shape[:2]), soft))
    return items


def load_held_out(images_dir: Path, masks_dir: Path, val_fraction: float) -> list[LabelledImage]:
    """The labelled images of the held-out split (``is_validation``), at full size with hard masks, sorted by name."""
    labelled = load_labelled(images_dir, masks_dir, soft=False, max_side=100_000)
    return [item for item in labelled if is_validation(item.name, val_fraction)]


def is_validation(name: str, fraction: float) -> bool:
    """Stable split by a hash of the file stem: the same images are held out on every machine and run."""
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


FOOTAGE_HELD_OUT_FRACTION = 0.15


def footage_group(clip: Path) -> str:
    """The recording group of a footage clip: its ``OWNER__REPO`` prefix (the whole stem if it has none). One
    repository is usually one person in one room."""
    parts = clip.stem.split("__")
    return "__".join(parts[:2]) if len(parts) >= 3 else clip.stem


def held_out_footage(clip: Path) -> bool:
    """True if ``clip``'s whole recording group is held out for evaluation (never trained on)."""
    return is_validation(footage_group(clip), FOOTAGE_HELD_OUT_FRACTION)


def load_cutouts(folder: Path, max_side: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """RGBA person cut-outs as ``(rgb uint8 (h, w, 3), alpha float32 (h, w))`` pairs."""
    cutouts = []
    for path in sorted(folder.glob("*.png")):
        rgba = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
            continue
        rgba = cap_side(rgba, max_side)
        cutouts.append((cv2.cvtColor(rgba[:, :, :3], cv2.COLOR_BGR2RGB), rgba[:, :, 3].astype(np.float32) / 255.0))
    return cutouts


def load_backgrounds(folders: list[Path], max_side: int) -> list[np.ndarray]:
    """Person-free background photos as RGB uint8."""
    return [read_rgb(path, max_side) for folder in folders for path in sorted(folder.glob("*.jpg"))]


def video_frames(path: Path, every: int, max_side: int, max_frames: int | None = None) -> list[np.ndarray]:
    """Every ``every``-th frame of a video as RGB uint8, from the first ``max_frames`` frames (all if None)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    index = 0
    try:
        while max_frames is None or index < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            if index % every == 0:
                frames.append(cap_side(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side))
            index += 1
    finally:
        capture.release()
    return frames
