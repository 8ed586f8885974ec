"""Assemble ``TrainingMaterial`` and the validation split from the data folder.

Distillation: frames of the non-demo videos get soft labels from the MediaPipe teacher, and (with ``footage_every``)
frames of the webcam footage get RVM's recurrent alpha; both are computed once and cached in ``cache_dir`` (an
``.npz`` per video) so a resumed run does not recompute them. Footage of the recordings held out for the webcam
evaluation (``sources.held_out_footage``) is never used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segmentation.training.dataset import TrainingMaterial
from segmentation.training.label_review import REVIEWED_WEB_PHOTOS
from segmentation.training.sources import (
    DEMO_CLIP_NAME,
    LabelledImage,
    held_out_footage,
    is_validation,
    load_backgrounds,
    load_cutouts,
    load_labelled,
    video_frames,
)


def web_photo_split(
    data_root: Path, val_fraction: float, max_side: int, *, skip_reviewed: bool = True
) -> tuple[list[LabelledImage], list[LabelledImage]]:
    """(train, validation) hand-labelled web photos; validation is never used for training.

    With ``skip_reviewed``, training leaves out the photos whose masks are listed as wrong in ``label_review``;
    validation keeps every held-out photo, so its figures stay comparable across runs.
    """
    folder = data_root / "people" / "web_photos"
    photos = load_labelled(folder / "images", folder / "masks", soft=False, max_side=max_side)
    train = [
        item
        for item in photos
        if not is_validation(item.name, val_fraction) and not (skip_reviewed and item.name in REVIEWED_WEB_PHOTOS)
    ]
    validation = [item for item in photos if is_validation(item.name, val_fraction)]
    return train, validation


def distilled_video_frames(data_root: Path, cache_dir: Path, every: int, max_side: int) -> list[LabelledImage]:
    """Teacher-labelled frames of every video except the demo clip (cached)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    items: list[LabelledImage] = []
    teacher = None
    for video in sorted((data_root / "videos").glob("*.mp4")):
        if video.name == DEMO_CLIP_NAME:
            continue
        cache = cache_dir / f"{video.stem}_every{every}_{max_side}.npz"
        if cache.is_file():
            stored = np.load(cache)
            frames, masks = list(stored["frames"]), list(stored["masks"])
        else:
            if teacher is None:
                from segmentation.peers.mediapipe import MediaPipeSelfie

                teacher = MediaPipeSelfie(data_root / "models")
            frames = video_frames(video, every, max_side)
            masks = [teacher(frame) for frame in frames]
            np.savez_compressed(cache, frames=np.stack(frames), masks=np.stack(masks))
        items.extend(
            LabelledImage(f"{video.stem}_{index}", frame, mask.astype(np.float32), True)
            for index, (frame, mask) in enumerate(zip(frames, masks, strict=True))
        )
    return items


def rvm_footage_frames(data_root: Path, cache_dir: Path, every: int, max_side: int) -> list[LabelledImage]:
    """Every ``every``-th frame of each training footage clip with RVM's alpha as its soft label (cached).

    RVM runs over every frame of a clip (its recurrent states need the continuity); held-out recordings are skipped.
    """
    from segmentation.training.rvm_teacher import RobustVideoMatting, cached_clip_alphas

    teacher: RobustVideoMatting | None = None

    def shared_teacher() -> RobustVideoMatting:
        nonlocal teacher
        if teacher is None:
            teacher = RobustVideoMatting(data_root / "models")
        return teacher

    items: list[LabelledImage] = []
    clips = sorted((data_root / "people" / "footage" / "videos").glob("*.mp4"))
    for clip in (clip for clip in clips if not held_out_footage(clip)):
        frames, alphas = cached_clip_alphas(
            clip,
            cache_dir / "rvm",
            lambda path: video_frames(path, 1, max_side),
            shared_teacher,
            tag=f"every{every}_{max_side}",
            keep_every=every,
        )
        items.extend(
            LabelledImage(f"{clip.stem}_{index}", frame, alpha.astype(np.float32) / 255.0, True)
            for index, (frame, alpha) in enumerate(zip(frames, alphas, strict=True))
        )
    return items


def build_material(
    data_root: Path,
    *,
    val_fraction: float,
    max_side: int,
    cache_dir: Path,
    distill_every: int,
    skip_reviewed: bool = True,
    footage_every: int = 0,
):
    """Return ``(TrainingMaterial, validation_photos)``."""
    train_photos, validation = web_photo_split(data_root, val_fraction, max_side, skip_reviewed=skip_reviewed)
    people = data_root / "people"
    teacher_labelled = (
        load_labelled(
            people / "synthetic_people" / "images",
            people / "synthetic_people" / "teacher_masks",
            soft=True,
            max_side=max_side,
        )
        + load_labelled(
            people / "video_frames" / "images", people / "video_frames" / "teacher_masks", soft=True, max_side=max_side
        )
        + distilled_video_frames(data_root, cache_dir, distill_every, max_side)
        + (rvm_footage_frames(data_root, cache_dir, footage_every, max_side) if footage_every > 0 else [])
    )
    backgrounds_root = data_root / "backgrounds"
    material = TrainingMaterial(
        hand_labelled=train_photos,
        teacher_labelled=teacher_labelled,
        cutouts=load_cutouts(people / "cutouts", max_side),
        backgrounds=load_backgrounds(
            [backgrounds_root / "training_only", backgrounds_root / "pixabay", backgrounds_root / "nature_gpl2"],
            max_side,
        ),
    )
    return material, validation
