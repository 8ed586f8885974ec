"""Convolution building blocks shared by the backbones, ASPP and decoder.

All modules take and return NCHW float tensors.
"""

from __future__ import annotations

from torch import nn


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm2d -> ReLU6 (or no activation).

    Padding keeps the spatial size at stride 1 for any kernel size and dilation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        *,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        activation: bool = True,
    ) -> None:
        padding = dilation * (kernel_size - 1) // 2
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
        ]
        if activation:
            layers.append(nn.ReLU6(inplace=True))
        super().__init__(*layers)


class SeparableConv2d(nn.Sequential):
    """Depthwise-separable convolution as used in DeepLabv3+ ASPP and decoder.

    A depthwise ``kernel_size`` conv (optionally atrous, ``dilation`` = rate) followed by a pointwise 1x1 conv,
    each with BatchNorm and ReLU6. Cost is about ``1 / out_channels + 1 / kernel_size**2`` of a full conv.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *, dilation: int = 1) -> None:
        super().__init__(
            ConvBNAct(in_channels, in_channels, kernel_size, dilation=dilation, groups=in_channels),
            ConvBNAct(in_channels, out_channels, 1),
        )


class InvertedResidual(nn.Module):
    """MobileNetV2 / EfficientNet-Lite block: 1x1 expand -> kxk depthwise -> 1x1 linear projection (+ skip).

    ``stride`` 2 halves H and W; with atrous backbones the block keeps stride 1 and uses ``dilation`` instead.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        expand_ratio: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand = ConvBNAct(in_channels, hidden, 1) if expand_ratio != 1 else nn.Identity()
        self.depthwise = ConvBNAct(hidden, hidden, kernel_size, stride=stride, dilation=dilation, groups=hidden)
        self.project = ConvBNAct(hidden, out_channels, 1, activation=False)

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.use_residual else y
