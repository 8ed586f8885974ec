"""Hand masks of ``web_photos`` that were looked at and found wrong, with what is wrong with each.

Candidates come from ``python -m segmentation.tools.label_audit`` (photos whose mask both the shipped model and the
teacher contradict); an entry is added only after looking at the photo, its mask and the two predictions, and
judging the mask by the convention in ``docs/labelling.md``. Training leaves these photos out
(``TrainConfig.skip_reviewed_labels``); ``python -m segmentation.tools.evaluate`` scores them as usual and, with
``--skip-reviewed``, reports the split without them as a second figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LabelFault(Enum):
    MISALIGNED = "the mask does not line up with the person in the photo"
    OBJECT_MARKED = "a large object or piece of background is marked as person"
    HOLES = "large holes inside the person"
    PERSON_LEFT_OUT = "a person in the photo is left out of the mask"


@dataclass(frozen=True)
class ReviewedLabel:
    fault: LabelFault
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.fault.value} ({self.detail})"


REVIEWED_WEB_PHOTOS: dict[str, ReviewedLabel] = {
    "190": ReviewedLabel(LabelFault.MISALIGNED, "the mask is a blocky shape up and to the right of the seated man"),
    "110": ReviewedLabel(LabelFault.HOLES, "the dark jacket and the shadowed half of the face are left out"),
    "21": ReviewedLabel(LabelFault.OBJECT_MARKED, "the grass between and in front of the seated group"),
    "52": ReviewedLabel(LabelFault.OBJECT_MARKED, "the tree trunk behind the man"),
    "69": ReviewedLabel(LabelFault.OBJECT_MARKED, "the dark rock at the lower left, joined to the outstretched arm"),
    "241": ReviewedLabel(LabelFault.OBJECT_MARKED, "a lamp post beside the rightmost walker"),
    "171": ReviewedLabel(LabelFault.PERSON_LEFT_OUT, "the child sitting in the pushchair"),
    "54": ReviewedLabel(LabelFault.OBJECT_MARKED, "the reflection of the boots in the wet road below the woman"),
}
