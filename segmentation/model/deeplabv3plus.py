"""DeepLabv3+ for one class (person): backbone -> ASPP -> decoder -> 1-channel logit, upsampled to the input.

``DeepLabV3Plus.forward`` takes RGB in [0, 1], shape (N, 3, H, W) float32/float16 with H, W multiples of 16, and
returns person logits (N, 1, H, W); ``sigmoid`` of that is the soft person mask. The model normalises its own
input with the backbone's mean/std, so every backend (torch, ONNX) feeds the same [0, 1] tensor.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from segmentation.architecture import ArchitectureConfig
from segmentation.model.aspp import ASPP
from segmentation.model.backbones import BACKBONES
from segmentation.model.decoder import Decoder


class DeepLabV3Plus(nn.Module):
    """Person segmenter; see the module docstring for the tensor contract."""

    mean: torch.Tensor  # (1, 3, 1, 1) buffers: the backbone's input normalisation
    std: torch.Tensor

    def __init__(self, config: ArchitectureConfig) -> None:
        super().__init__()
        entry = BACKBONES.get(config.backbone)
        self.config = config
        self.backbone = entry.build(config.output_stride)
        # The registry's backbone contract: these attributes are ints (nn.Module types attribute access loosely).
        high_channels, low_channels = (
            cast(int, self.backbone.high_level_channels),
            cast(int, self.backbone.low_level_channels),
        )
        self.aspp = ASPP(high_channels, config.aspp_channels, output_stride=config.output_stride)
        self.decoder = Decoder(config.aspp_channels, low_channels, config.decoder_channels)
        self.head = nn.Conv2d(config.decoder_channels, 1, 1)
        self.register_buffer("mean", torch.tensor(entry.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(entry.std).view(1, 3, 1, 1), persistent=False)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        x = (rgb - self.mean.to(rgb.dtype)) / self.std.to(rgb.dtype)
        low_level, high_level = self.backbone(x)
        features = self.decoder(self.aspp(high_level), low_level)
        return F.interpolate(self.head(features), size=rgb.shape[-2:], mode="bilinear", align_corners=False)


def build_deeplabv3plus(
    *,
    backbone: str = "efficientnet_lite0",
    output_stride: int = 16,
    aspp_channels: int = 128,
    decoder_channels: int = 128,
) -> DeepLabV3Plus:
    """Build a randomly initialised DeepLabv3+ person segmenter (keyword-only, torchvision style)."""
    return DeepLabV3Plus(
        ArchitectureConfig(
            backbone=backbone,
            output_stride=output_stride,
            aspp_channels=aspp_channels,
            decoder_channels=decoder_channels,
        )
    )
