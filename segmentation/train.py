"""``python -m segmentation.train [--flag value ...]``: train the person segmenter (see ``training/config.py``)."""

from __future__ import annotations

from segmentation.training.config import parse_config
from segmentation.training.trainer import train


def main(argv: list[str] | None = None) -> None:
    best = train(parse_config(argv))
    print(f"best validation IoU {best['val_iou']:.4f}, boundary F {best['val_boundary_f']:.4f}")


if __name__ == "__main__":
    main()
