"""Atrous Spatial Pyramid Pooling (DeepLabv3+, Chen et al. 2018, section 3.1).

Five parallel branches over the backbone's high-level features capture context at several scales:
a 1x1 conv, three 3x3 atrous depthwise-separable convs (rates 6/12/18 at output stride 16, doubled at 8),
and image-level pooling (global average -> 1x1 conv -> broadcast back). They are concatenated and projected by a 1x1
conv. Input (N, C_in, h, w) -> output (N, channels, h, w).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from segmentation.model.layers import ConvBNAct, SeparableConv2d

BASE_ATROUS_RATES = (6, 12, 18)  # at output stride 16


def atrous_rates(output_stride: int) -> tuple[int, ...]:
    """ASPP rates for an output stride: (6, 12, 18) at 16, (12, 24, 36) at 8."""
    return tuple(rate * 16 // output_stride for rate in BASE_ATROUS_RATES)


class ImagePooling(nn.Module):
    """Image-level feature: global average pool, 1x1 conv, then broadcast to the input's h x w."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        # No BatchNorm: a 1x1 pooled map in a batch of one would make BN statistics degenerate.
        self.project = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.ReLU6(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.project(x.mean(dim=(2, 3), keepdim=True))
        return pooled.expand(-1, -1, x.shape[2], x.shape[3])


class ASPP(nn.Module):
    """ASPP with separable atrous branches; see the module docstring for shapes."""

    def __init__(self, in_channels: int, channels: int, *, output_stride: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        self.rates = atrous_rates(output_stride)
        self.branches = nn.ModuleList(
            [ConvBNAct(in_channels, channels, 1)]
            + [SeparableConv2d(in_channels, channels, 3, dilation=rate) for rate in self.rates]
            + [ImagePooling(in_channels, channels)]
        )
        self.project = nn.Sequential(
            ConvBNAct(channels * len(self.branches), channels, 1),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(torch.cat([branch(x) for branch in self.branches], dim=1))


def upsample_like(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Bilinearly resize NCHW ``x`` to ``reference``'s H and W (align_corners=False)."""
    return F.interpolate(x, size=reference.shape[-2:], mode="bilinear", align_corners=False)
