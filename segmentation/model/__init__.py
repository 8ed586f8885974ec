"""The DeepLabv3+ person-segmentation network and its parts."""

from segmentation.model.aspp import ASPP, atrous_rates
from segmentation.model.backbones import BACKBONES
from segmentation.model.decoder import Decoder
from segmentation.model.deeplabv3plus import ArchitectureConfig, DeepLabV3Plus, build_deeplabv3plus

__all__ = [
    "ASPP",
    "BACKBONES",
    "ArchitectureConfig",
    "Decoder",
    "DeepLabV3Plus",
    "atrous_rates",
    "build_deeplabv3plus",
]
