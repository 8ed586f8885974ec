"""Assemble ``TrainingMaterial`` and the validation split from the data folder.

Distillation: frames of the non-demo videos get soft labels from the MediaPipe teacher, and (with ``footage_every``)
frames of the webcam footage get RVM's recurrent alpha (also as pairs of consecutive frames, ``rvm_footage_pairs``,
for the temporal term); both are computed once and cached in ``cache_dir`` (an ``.npz`` per video) so a resumed run
does not recompute them. Footage of the recordings held out for the webcam evaluation (``sources.held_out_footage``)
is never used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
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
    read_rgb,
    video_frames,
)
from segmentation.training.temporal import FramePair, clip_pairs

if TYPE_CHECKING:
    from segmentation.training.rvm_teacher import RobustVideoMatting


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


@dataclass(frozen=True)
class FootageLabelling:
    """How webcam footage is labelled by RVM: the teacher runs on every ``frame_step``-th frame of each clip's first
    ``max_frames`` frames (with its states carried forward), frames capped at ``max_side`` pixels; every
    ``keep_every``-th labelled frame is kept for training, with loss weight ``weight``."""

    keep_every: int
    frame_step: int = 2
    max_frames: int = 400
    max_side: int = 384
    weight: float = 1.0

    @property
    def tag(self) -> str:
        """Names the sampling in cache files, so caches of other samplings never mix."""
        return f"step{self.frame_step}_first{self.max_frames}_keep{self.keep_every}_{self.max_side}"


class _SharedTeacher:
    """Makes the RVM teacher on first use only (a run whose labels are all cached never loads it)."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self._teacher: RobustVideoMatting | None = None

    def __call__(self) -> RobustVideoMatting:
        if self._teacher is None:
            from segmentation.training.rvm_teacher import RobustVideoMatting

            self._teacher = RobustVideoMatting(self.models_dir)
        return self._teacher


def rvm_footage_frames(data_root: Path, cache_dir: Path, labelling: FootageLabelling) -> list[LabelledImage]:
    """Frames of each training footage clip with RVM's recurrent alpha as the soft label (cached per clip).

    Held-out recordings (``sources.held_out_footage``) are skipped.
    """
    return [
        LabelledImage(f"{stem}_{index}", frame, alpha.astype(np.float32) / 255.0, True, labelling.weight)
        for stem, frames, alphas in _labelled_footage(data_root, cache_dir, labelling)
        for index, (frame, alpha) in enumerate(zip(frames, alphas, strict=True))
    ]


def rvm_footage_pairs(data_root: Path, cache_dir: Path, labelling: FootageLabelling, every: int) -> list[FramePair]:
    """Pairs of consecutive labelled frames (``frame_step`` source frames apart) of each training footage clip, one
    pair starting at every ``every``-th labelled frame, with RVM's recurrent alpha (``temporal.clip_pairs``).

    Every labelled frame is cached (``keep_every`` 1, whatever ``labelling`` says), so a pair's second frame is
    there; held-out recordings are skipped.
    """
    every_frame = replace(labelling, keep_every=1)
    return [
        pair
        for stem, frames, alphas in _labelled_footage(data_root, cache_dir, every_frame)
        for pair in clip_pairs(stem, frames, alphas, every)
    ]


def _labelled_footage(
    data_root: Path, cache_dir: Path, labelling: FootageLabelling
) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(clip stem, frames (N, H, W, 3) uint8, alphas (N, H, W) uint8) of each training footage clip, labelled by RVM
    as ``labelling`` says (``rvm_teacher.cached_clip_alphas``), in name order; held-out recordings are skipped."""
    from segmentation.training.rvm_teacher import cached_clip_alphas

    teacher = _SharedTeacher(data_root / "models")
    clips = sorted((data_root / "people" / "footage" / "videos").glob("*.mp4"))
    for clip in (clip for clip in clips if not held_out_footage(clip)):
        frames, alphas = cached_clip_alphas(
            clip,
            cache_dir / "rvm",
            lambda path: video_frames(path, labelling.frame_step, labelling.max_side, labelling.max_frames),
            teacher,
            tag=labelling.tag,
            keep_every=labelling.keep_every,
        )
        yield clip.stem, frames, alphas


def rvm_video_frames(data_root: Path, cache_dir: Path, every: int, max_side: int) -> list[LabelledImage]:
    """Every ``every``-th frame of every video except the demo clip, with RVM's recurrent alpha (cached), at the
    run's teacher weight: ``distilled_video_frames`` with the stronger teacher."""
    from segmentation.training.rvm_teacher import cached_clip_alphas

    teacher = _SharedTeacher(data_root / "models")
    items: list[LabelledImage] = []
    for video in sorted((data_root / "videos").glob("*.mp4")):
        if video.name == DEMO_CLIP_NAME:
            continue
        frames, alphas = cached_clip_alphas(
            video,
            cache_dir / "rvm",
            lambda path: video_frames(path, 1, max_side),
            teacher,
            tag=f"keep{every}_{max_side}",
            keep_every=every,
        )
        items.extend(
            LabelledImage(f"{video.stem}_{index}", frame, alpha.astype(np.float32) / 255.0, True)
            for index, (frame, alpha) in enumerate(zip(frames, alphas, strict=True))
        )
    return items


def rvm_stills(
    images_dir: Path,
    cache_dir: Path,
    models_dir: Path,
    max_side: int,
    *,
    weight: float | None,
    skip: Callable[[Path], bool],
) -> list[LabelledImage]:
    """Every picture in ``images_dir`` (except those ``skip`` names) with RVM's alpha after ``STILL_PASSES`` passes
    as its soft label; alphas are cached as grey PNGs in ``cache_dir`` (named by picture and size)."""
    from segmentation.training.rvm_teacher import STILL_PASSES

    teacher = _SharedTeacher(models_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    items: list[LabelledImage] = []
    for path in sorted(images_dir.iterdir()):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"} or skip(path):
            continue
        rgb = read_rgb(path, max_side)
        cache = cache_dir / f"{path.stem}_{max_side}_passes{STILL_PASSES}.png"
        alpha = cv2.imread(str(cache), cv2.IMREAD_GRAYSCALE) if cache.is_file() else None
        if alpha is None or alpha.shape != rgb.shape[:2]:
            alpha = np.rint(teacher().still(rgb) * 255.0).astype(np.uint8)
            partial = cache.with_name(f"{cache.stem}.partial.png")
            cv2.imwrite(str(partial), alpha)
            partial.replace(cache)
        items.append(LabelledImage(path.stem, rgb, alpha.astype(np.float32) / 255.0, True, weight))
    return items


NEGATIVE_TEST_FRACTION = 0.2  # share of the person-free training photos held out as the negative test set


def is_negative_test_photo(path: Path) -> bool:
    """True for the person-free photos held out to measure false persons (never trained on)."""
    return is_validation(path.stem, NEGATIVE_TEST_FRACTION)


def negative_test_photos(data_root: Path) -> list[Path]:
    """The held-out person-free photos (``backgrounds/training_only``), sorted."""
    return sorted(
        path for path in (data_root / "backgrounds" / "training_only").glob("*.jpg") if is_negative_test_photo(path)
    )


def build_material(
    data_root: Path,
    *,
    val_fraction: float,
    max_side: int,
    cache_dir: Path,
    distill_every: int,
    skip_reviewed: bool = True,
    footage: FootageLabelling | None = None,
    footage_stills_weight: float = 0.0,
    teacher: str = "mediapipe",
):
    """Return ``(TrainingMaterial, validation_photos)``.

    ``footage`` adds RVM-labelled frames of the training footage clips; ``footage_stills_weight`` > 0 adds the
    footage's photos with RVM's still alpha at that loss weight. ``teacher`` (mediapipe or rvm) labels the synthetic
    people, the video frames and the non-demo videos (at the run's teacher weight). The negative test photos are left
    out.
    """
    train_photos, validation = web_photo_split(data_root, val_fraction, max_side, skip_reviewed=skip_reviewed)
    people = data_root / "people"
    if teacher == "mediapipe":
        teacher_labelled = (
            load_labelled(
                people / "synthetic_people" / "images",
                people / "synthetic_people" / "teacher_masks",
                soft=True,
                max_side=max_side,
            )
            + load_labelled(
                people / "video_frames" / "images",
                people / "video_frames" / "teacher_masks",
                soft=True,
                max_side=max_side,
            )
            + distilled_video_frames(data_root, cache_dir, distill_every, max_side)
        )
    elif teacher == "rvm":
        teacher_labelled = [
            item
            for folder in (people / "synthetic_people" / "images", people / "video_frames" / "images")
            for item in rvm_stills(
                folder, cache_dir / "rvm_stills", data_root / "models", max_side, weight=None, skip=lambda _: False
            )
        ] + rvm_video_frames(data_root, cache_dir, distill_every, max_side)
    else:
        raise ValueError(f"teacher must be mediapipe or rvm, got {teacher!r}")
    if footage is not None:
        teacher_labelled += rvm_footage_frames(data_root, cache_dir, footage)
    if footage_stills_weight > 0.0:
        teacher_labelled += rvm_stills(
            people / "footage" / "images",
            cache_dir / "rvm_stills",
            data_root / "models",
            max_side,
            weight=footage_stills_weight,
            skip=held_out_footage,
        )
    backgrounds_root = data_root / "backgrounds"
    training_only = [
        read_rgb(path, max_side)
        for path in sorted((backgrounds_root / "training_only").glob("*.jpg"))
        if not is_negative_test_photo(path)
    ]
    material = TrainingMaterial(
        hand_labelled=train_photos,
        teacher_labelled=teacher_labelled,
        cutouts=load_cutouts(people / "cutouts", max_side),
        backgrounds=training_only
        + load_backgrounds([backgrounds_root / "pixabay", backgrounds_root / "nature_gpl2"], max_side),
    )
    return material, validation
