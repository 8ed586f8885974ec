"""The training sample mixture: hand labels, teacher (distilled) labels, copy-paste composites and negatives.

``TrainingMixture[i]`` is a pure function of (seed, i): it returns ``(image, mask, weight)`` with image a
(3, H, W) float32 tensor in [0, 1] (RGB), mask (1, H, W) float32 in [0, 1] and weight a scalar float32 that scales
the sample's loss (teacher labels count less than hand labels). H, W is ``sample_size`` (16:9 by default).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from segmentation.training.augment import crop_around_person, paste_person, webcam_photometric
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
    ) -> None:
        """``portrait_fraction`` of the batches are drawn in portrait orientation (``sample_size`` transposed), so
        the model also sees whole upright portraits; ``samples_per_batch`` (batch size x processes) groups
        consecutive indices into one batch, which must share one shape; crops of photos and backgrounds cover
        ``crop_min_area`` to all of the largest window of the sample's aspect."""
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
        # People to paste: the cut-outs plus the hand-labelled training photos' masked people.
        self.people = list(material.cutouts) + [(item.rgb, item.mask) for item in material.hand_labelled]

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng((self.seed, index))
        batch_rng = np.random.default_rng((self.seed, index // self.samples_per_batch, 1))
        width, height = self.sample_size
        sample_size = (height, width) if batch_rng.random() < self.portrait_fraction else (width, height)
        kind = int(rng.choice(4, p=self.kind_probabilities))
        weight = 1.0
        if kind in (0, 1):
            pool = self.material.hand_labelled if kind == 0 else self.material.teacher_labelled
            item = pool[int(rng.integers(len(pool)))]
            image, mask = crop_around_person(item.rgb, item.mask, sample_size, rng, self.crop_min_area)
            weight = self.teacher_weight if item.soft else 1.0
        else:
            background = self.material.backgrounds[int(rng.integers(len(self.material.backgrounds)))]
            full_mask = np.zeros(background.shape[:2], np.float32)
            background, _ = crop_around_person(background, full_mask, sample_size, rng, self.crop_min_area)
            if kind == 2:
                rgb, alpha = self.people[int(rng.integers(len(self.people)))]
                image, mask = paste_person(background, rgb, alpha, rng)
                if rng.random() < 0.3:  # a second person now and then (groups, someone walking by)
                    rgb, alpha = self.people[int(rng.integers(len(self.people)))]
                    image, second = paste_person(image, rgb, alpha, rng)
                    mask = np.maximum(mask, second)
            else:
                image, mask = background, np.zeros(background.shape[:2], np.float32)
        image = webcam_photometric(np.ascontiguousarray(image), rng)
        return (
            torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255.0),
            torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None],
            torch.tensor(weight, dtype=torch.float32),
        )
