"""DeepLabv3+ decoder (Chen et al. 2018, section 3.1, figure 2).

The ASPP output (stride 16 or 8) is upsampled to stride 4 and concatenated with the backbone's stride-4 low-level
features after a 1x1 projection to 48 channels (few channels, so the high-level features dominate). Two 3x3
depthwise-separable convs refine the fused map, which sharpens object boundaries.
Inputs: aspp (N, C_aspp, h, w), low_level (N, C_low, H/4, W/4) -> (N, channels, H/4, W/4).
"""

from __future__ import annotations

import torch
from torch import nn

from segmentation.model.aspp import upsample_like
from segmentation.model.layers import ConvBNAct, SeparableConv2d

LOW_LEVEL_PROJECTION_CHANNELS = 48


class Decoder(nn.Module):
    """Skip-connection decoder; see the module docstring for shapes."""

    def __init__(self, aspp_channels: int, low_level_channels: int, channels: int) -> None:
        super().__init__()
        self.low_level_projection = ConvBNAct(low_level_channels, LOW_LEVEL_PROJECTION_CHANNELS, 1)
        self.fuse = nn.Sequential(
            SeparableConv2d(aspp_channels + LOW_LEVEL_PROJECTION_CHANNELS, channels, 3),
            SeparableConv2d(channels, channels, 3),
        )

    def forward(self, aspp: torch.Tensor, low_level: torch.Tensor) -> torch.Tensor:
        low_level = self.low_level_projection(low_level)
        return self.fuse(torch.cat([upsample_like(aspp, low_level), low_level], dim=1))
