"""PNG sheets that put a photo beside masks of it, one row per photo, for people to look at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

_ROW_HEIGHT = 160


@dataclass(frozen=True)
class SheetRow:
    """One photo, ``(H, W, 3) uint8 RGB``, its masks (each ``(H, W)`` float32 in [0, 1]) and a caption per tile
    (the photo's first, then one per mask)."""

    rgb: np.ndarray
    masks: tuple[np.ndarray, ...]
    captions: tuple[str, ...]


def overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Person pixels (mask >= 0.5) tinted green, the rest darkened: ``(h, w, 3) uint8``."""
    tinted = image.astype(np.float32) * 0.35
    person = mask >= 0.5
    tinted[person] = image[person] * 0.6 + np.array([0, 255, 0]) * 0.4
    return tinted.astype(np.uint8)


def write_sheet(rows: list[SheetRow], path: Path) -> None:
    """Write the rows, each scaled to 160 px high and captioned, stacked top to bottom, as a PNG at ``path``."""
    rendered = []
    for row in rows:
        scale = _ROW_HEIGHT / row.rgb.shape[0]
        size = (max(1, round(row.rgb.shape[1] * scale)), _ROW_HEIGHT)
        image = cv2.resize(row.rgb, size, interpolation=cv2.INTER_AREA)
        tiles = [image] + [overlay(image, cv2.resize(mask, size)) for mask in row.masks]
        for tile, caption in zip(tiles, row.captions, strict=True):
            cv2.putText(tile, caption, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 0), 1, cv2.LINE_AA)
        rendered.append(np.hstack(tiles))
    width = max(row.shape[1] for row in rendered)
    sheet = np.vstack([np.pad(row, ((0, 4), (0, width - row.shape[1]), (0, 0))) for row in rendered])
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
