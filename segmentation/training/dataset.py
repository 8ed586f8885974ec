"""The training sample mixture: hand labels, teacher (distilled) labels, copy-paste composites and negatives.

``TrainingMixture[i]`` is a pure function of (seed, i): it returns ``(image, mask, weight)`` with image a
(3, H, W) float32 tensor in [0, 1] (RGB), mask (1, H, W) float32 in [0, 1] and weight a scalar float32 that scales
the sample's loss (teacher labels count less than hand labels). H, W is ``sample_size`` (16:9 by default), or
that size transposed (portrait batches) and scaled per batch (``sample_scale_range``); all samples of a batch share
one shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from segmentation.training.augment import (
    crop_around_person,
    paste_distant_person,
    paste_occluder,
    paste_person,
    webcam_photometric,
)
from segmentation.training.clutter import paste_clutter
from segmentation.training.screens import paste_screen_in_front
from segmentation.training.sources import LabelledImage


@dataclass(frozen=True)
class MixtureWeights:
    """Relative sampling frequency of each kind of sample."""

    hand_labelled: float = 0.4
    teacher_labelled: float = 0.2
    composite: float = 0.3
    negative: float = 0.1


@dataclass
class TrainingMaterial:
    """Everything samples are drawn from, in memory."""

    hand_labelled: list[LabelledImage]
    teacher_labelled: list[LabelledImage]
    cutouts: list[tuple[np.ndarray, np.ndarray]]
    backgrounds: list[np.ndarray]


class TrainingMixture(Dataset):
    """Map-style dataset of ``length`` random samples; see the module docstring for the sample contract."""

    def __init__(
        self,
        material: TrainingMaterial,
        *,
        length: int,
        seed: int,
        sample_size: tuple[int, int] = (256, 144),
        mixture: MixtureWeights = MixtureWeights(),
        teacher_weight: float = 0.5,
        portrait_fraction: float = 0.0,
        samples_per_batch: int = 1,
        crop_min_area: float = 0.35,
        sample_scale_range: tuple[float, float] = (1.0, 1.0),
        sample_scale_steps: int = 0,
        occluder_probability: float = 0.0,
        screen_probability: float = 0.0,
        clutter_probability: float = 0.0,
        distant_person_probability: float = 0.0,
    ) -> None:
        """``portrait_fraction`` of the batches are drawn in portrait orientation (``sample_size`` transposed), so
        the model also sees whole upright portraits; ``samples_per_batch`` (batch size x processes) groups
        consecutive indices into one batch, which must share one shape; crops of photos and backgrounds cover
        ``crop_min_area`` to all of the largest window of the sample's aspect; each batch scales ``sample_size`` by
        a factor drawn uniformly from ``sample_scale_range`` (sides rounded to multiples of 16, at least 32), so the
        model sees people at more sizes in pixels than one input size gives (mixed input-size training), or with
        ``sample_scale_steps`` N > 1 one of N evenly spaced factors of that range (few shapes: on a GPU every new
        input shape costs seconds of set-up before its first step);
        ``occluder_probability`` of the samples with people get an object-like patch beside or over a person,
        labelled background (``augment.paste_occluder``); ``screen_probability`` of them get a monitor, the back of
        one or a partition over a person's body below the head, labelled background (``screens``);
        ``clutter_probability`` of all samples get a hard negative
        (a flag, sign, lettering, screen, lamp or coat on a chair) drawn behind their people (``clutter``);
        ``distant_person_probability`` of the copy-paste composites show their person small and far back in the room
        (``augment.paste_distant_person``) instead of close to the camera."""
        self.material = material
        self.length = length
        self.seed = seed
        self.sample_size = sample_size
        kinds = np.array([mixture.hand_labelled, mixture.teacher_labelled, mixture.composite, mixture.negative])
        self.kind_probabilities = kinds / kinds.sum()
        self.teacher_weight = teacher_weight
        self.portrait_fraction = portrait_fraction
        self.samples_per_batch = samples_per_batch
        self.crop_min_area = crop_min_area
        low, high = sample_scale_range
        if not 0.0 < low <= high:
            raise ValueError(f"sample_scale_range must satisfy 0 < low <= high, got {sample_scale_range}")
        self.sample_scale_range = (low, high)
        if sample_scale_steps < 0:
            raise ValueError(f"sample_scale_steps must be 0 (any scale) or a count of scales, got {sample_scale_steps}")
        self.sample_scale_steps = sample_scale_steps
        if not 0.0 <= occluder_probability <= 1.0:
            raise ValueError(f"occluder_probability must be in [0, 1], got {occluder_probability}")
        self.occluder_probability = occluder_probability
        if not 0.0 <= screen_probability <= 1.0:
            raise ValueError(f"screen_probability must be in [0, 1], got {screen_probability}")
        self.screen_probability = screen_probability
        if not 0.0 <= clutter_probability <= 1.0:
            raise ValueError(f"clutter_probability must be in [0, 1], got {clutter_probability}")
        self.clutter_probability = clutter_probability
        if not 0.0 <= distant_person_probability <= 1.0:
            raise ValueError(f"distant_person_probability must be in [0, 1], got {distant_person_probability}")
        self.distant_person_probability = distant_person_probability
        # People to paste: the cut-outs plus the hand-labelled training photos' masked people.
        self.people = list(material.cutouts) + [(item.rgb, item.mask) for item in material.hand_labelled]

    def __len__(self) -> int:
        return self.length

    def batch_sample_size(self, batch_rng: np.random.Generator) -> tuple[int, int]:
        """(width, height) of one batch's samples: orientation first, then the scale, both from ``batch_rng``."""
        width, height = self.sample_size
        if batch_rng.random() < self.portrait_fraction:
            width, height = height, width
        low, high = self.sample_scale_range
        if low == high == 1.0:
            return width, height
        if self.sample_scale_steps > 1:
            scale = float(batch_rng.choice(np.linspace(low, high, self.sample_scale_steps)))
        else:
            scale = batch_rng.uniform(low, high)
        return max(32, 16 * round(width * scale / 16)), max(32, 16 * round(height * scale / 16))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng((self.seed, index))
        batch_rng = np.random.default_rng((self.seed, index // self.samples_per_batch, 1))
        sample_size = self.batch_sample_size(batch_rng)
        kind = int(rng.choice(4, p=self.kind_probabilities))
        weight = 1.0
        if kind in (0, 1):
            pool = self.material.hand_labelled if kind == 0 else self.material.teacher_labelled
            item = pool[int(rng.integers(len(pool)))]
            image, mask = crop_around_person(item.rgb, item.mask, sample_size, rng, self.crop_min_area)
            default_weight = self.teacher_weight if item.soft else 1.0
            weight = default_weight if item.weight is None else item.weight
        else:
            background = self.material.backgrounds[int(rng.integers(len(self.material.backgrounds)))]
            full_mask = np.zeros(background.shape[:2], np.float32)
            background, _ = crop_around_person(background, full_mask, sample_size, rng, self.crop_min_area)
            if kind == 2:
                rgb, alpha = self.people[int(rng.integers(len(self.people)))]
                # Drawn only when turned on, so that runs without distant people keep their random stream.
                distant = self.distant_person_probability > 0.0 and rng.random() < self.distant_person_probability
                image, mask = (paste_distant_person if distant else paste_person)(background, rgb, alpha, rng)
                if rng.random() < 0.3:  # a second person now and then (groups, someone walking by)
                    rgb, alpha = self.people[int(rng.integers(len(self.people)))]
                    image, second = paste_person(image, rgb, alpha, rng)
                    mask = np.maximum(mask, second)
            else:
                image, mask = background, np.zeros(background.shape[:2], np.float32)
        if kind != 3 and rng.random() < self.occluder_probability:
            texture = self.material.backgrounds[int(rng.integers(len(self.material.backgrounds)))]
            image, mask = paste_occluder(image, mask, texture, rng)
        # Drawn only when turned on, so that runs without screens keep the random stream (and samples) they had.
        if kind != 3 and self.screen_probability > 0.0 and rng.random() < self.screen_probability:
            texture = self.material.backgrounds[int(rng.integers(len(self.material.backgrounds)))]
            image, mask = paste_screen_in_front(image, mask, texture, rng)
        # Drawn only when turned on, so that runs without clutter keep the random stream (and samples) they had.
        if self.clutter_probability > 0.0 and rng.random() < self.clutter_probability:
            texture = self.material.backgrounds[int(rng.integers(len(self.material.backgrounds)))]
            image, mask = paste_clutter(image, mask, texture, rng)
        image = webcam_photometric(np.ascontiguousarray(image), rng)
        return (
            torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0),
            torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None],
            torch.tensor(weight, dtype=torch.float32),
        )
