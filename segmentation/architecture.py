"""``ArchitectureConfig``: what determines the network's parameter shapes.

Kept free of torch so that describing and verifying a model (``segmentation.weights``) and running it in ONNX Runtime
do not need torch installed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArchitectureConfig:
    """Everything that determines the model's parameter shapes (and so its weights file layout)."""

    backbone: str = "efficientnet_lite0"
    output_stride: int = 16
    aspp_channels: int = 128
    decoder_channels: int = 128
