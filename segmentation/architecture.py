"""``ArchitectureConfig``: what determines the network's parameter shapes.

Kept free of torch so that describing and verifying a model (``segmentation.weights``) and running it in ONNX Runtime
do not need torch installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArchitectureConfig:
    """Everything that determines the model's parameter shapes (and so its weights file layout)."""

    backbone: str = "efficientnet_lite0"
    output_stride: int = 16
    aspp_channels: int = 128
    decoder_channels: int = 128

    @classmethod
    def from_training_config(cls, config: Mapping[str, Any]) -> ArchitectureConfig:
        """The architecture fields of a training config as saved in checkpoints and ``config.json``."""
        return cls(
            backbone=str(config["backbone"]),
            output_stride=int(config["output_stride"]),
            aspp_channels=int(config["aspp_channels"]),
            decoder_channels=int(config["decoder_channels"]),
        )
