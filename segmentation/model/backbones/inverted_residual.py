"""Atrous backbones built from inverted-residual stages: MobileNetV2, EfficientNet-Lite0 and EfficientNet-Lite2.

Both networks are a stride-2 stem followed by stages of ``InvertedResidual`` blocks; they differ only in their
stage table. Output (see ``registry`` for the contract): stride-4 low-level features after the second stage and the
last stage's features at the requested output stride (16 or 8), reached by dilating instead of striding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from torch import nn

from segmentation.model.backbones.registry import stage_stride_and_dilation
from segmentation.model.layers import ConvBNAct, InvertedResidual


@dataclass(frozen=True)
class Stage:
    """One row of a stage table: ``repeats`` blocks of ``expand_ratio``, ``kernel_size``, ``out_channels``."""

    expand_ratio: int
    out_channels: int
    repeats: int
    stride: int
    kernel_size: int = 3


MOBILENET_V2_STAGES = (
    Stage(1, 16, 1, 1),
    Stage(6, 24, 2, 2),
    Stage(6, 32, 3, 2),
    Stage(6, 64, 4, 2),
    Stage(6, 96, 3, 1),
    Stage(6, 160, 3, 2),
    Stage(6, 320, 1, 1),
)

EFFICIENTNET_LITE0_STAGES = (
    Stage(1, 16, 1, 1, 3),
    Stage(6, 24, 2, 2, 3),
    Stage(6, 40, 2, 2, 5),
    Stage(6, 80, 3, 2, 3),
    Stage(6, 112, 3, 1, 5),
    Stage(6, 192, 4, 2, 5),
    Stage(6, 320, 1, 1, 3),
)


def scale_lite_stages(stages: tuple[Stage, ...], *, width: float, depth: float) -> tuple[Stage, ...]:
    """EfficientNet compound scaling as the Lite variants apply it: widths x ``width`` rounded to a multiple of 8
    (never below 90% of the scaled width), repeats x ``depth`` rounded up, first and last stage kept as they are."""

    def round_width(channels: int) -> int:
        scaled = channels * width
        rounded = max(8, int(scaled + 4) // 8 * 8)
        return rounded + 8 if rounded < 0.9 * scaled else rounded

    inner = [
        replace(stage, out_channels=round_width(stage.out_channels), repeats=math.ceil(stage.repeats * depth))
        for stage in stages[1:-1]
    ]
    return (stages[0], *inner, replace(stages[-1], out_channels=round_width(stages[-1].out_channels)))


# EfficientNet-Lite2: widths x1.1, repeats x1.2 (the 32-channel stem stays fixed, as in every Lite variant).
EFFICIENTNET_LITE2_STAGES = scale_lite_stages(EFFICIENTNET_LITE0_STAGES, width=1.1, depth=1.2)

_LOW_LEVEL_STAGE = 1  # index of the stage whose output is at stride 4


class InvertedResidualBackbone(nn.Module):
    """Stem + inverted-residual stages with atrous convolution past ``output_stride``.

    ``forward``: (N, 3, H, W) normalised float -> (low_level (N, C_low, H/4, W/4), high (N, C_high, H/OS, W/OS)).
    """

    def __init__(self, stages: tuple[Stage, ...], *, output_stride: int = 16, stem_channels: int = 32) -> None:
        super().__init__()
        self.output_stride = output_stride
        self.stem = ConvBNAct(3, stem_channels, 3, stride=2)
        current_stride, dilation = 2, 1
        in_channels = stem_channels
        built: list[nn.Sequential] = []
        for stage in stages:
            stride, first_dilation, current_stride, dilation = stage_stride_and_dilation(
                current_stride, dilation, stage.stride, output_stride
            )
            blocks = []
            for index in range(stage.repeats):
                blocks.append(
                    InvertedResidual(
                        in_channels,
                        stage.out_channels,
                        expand_ratio=stage.expand_ratio,
                        kernel_size=stage.kernel_size,
                        stride=stride if index == 0 else 1,
                        dilation=first_dilation if index == 0 else dilation,
                    )
                )
                in_channels = stage.out_channels
            built.append(nn.Sequential(*blocks))
        self.low_stages = nn.Sequential(*built[: _LOW_LEVEL_STAGE + 1])
        self.high_stages = nn.Sequential(*built[_LOW_LEVEL_STAGE + 1 :])
        self.low_level_channels = stages[_LOW_LEVEL_STAGE].out_channels
        self.high_level_channels = stages[-1].out_channels

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        low_level = self.low_stages(self.stem(x))
        return low_level, self.high_stages(low_level)


def mobilenet_v2(output_stride: int = 16) -> InvertedResidualBackbone:
    """MobileNetV2 (width 1.0): 24 channels at stride 4, 320 at the output stride."""
    return InvertedResidualBackbone(MOBILENET_V2_STAGES, output_stride=output_stride)


def efficientnet_lite0(output_stride: int = 16) -> InvertedResidualBackbone:
    """EfficientNet-Lite0 (no squeeze-excite, ReLU6): 24 channels at stride 4, 320 at the output stride."""
    return InvertedResidualBackbone(EFFICIENTNET_LITE0_STAGES, output_stride=output_stride)


def efficientnet_lite2(output_stride: int = 16) -> InvertedResidualBackbone:
    """EfficientNet-Lite2 (no squeeze-excite, ReLU6): 24 channels at stride 4, 352 at the output stride."""
    return InvertedResidualBackbone(EFFICIENTNET_LITE2_STAGES, output_stride=output_stride)
