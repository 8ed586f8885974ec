"""Initialise a MobileNetV2 ``DeepLabV3Plus`` from the DeepLabv3 PASCAL VOC TFLite model (training only).

What ``deeplabv3_mobilenetv2_voc21_257.tflite`` holds (constant tensors read with ``ai-edge-litert``):

- a MobileNetV2 backbone at depth multiplier 0.5: stem 16 channels, then 17 inverted-residual blocks with outputs
  8, 12, 16, 32, 48, 80, 160 (expansion 6, ReLU6), run at output stride 8; BatchNorm is folded into each conv's
  weight and bias (TFLite layout OHWI, depthwise 1HWO);
- a mobile ASPP with only two branches, a 1x1 conv and image pooling (256 channels each, ReLU), concatenated in
  the order (pooling, 1x1) and projected by a 1x1 conv to 256 (ReLU); then a 21-class 1x1 classifier (person = 15).
  There are no atrous branches and no decoder.

How it maps onto ours (width 1.0, every channel count exactly twice the file's):

- Backbone: all 51 convs. The 0.5 network is widened without changing what it computes (Net2WiderNet, Chen et al.
  2016): each output channel is repeated twice (channel ``j`` copies channel ``j % c``) and weights that read a
  repeated input are halved, so the widened backbone returns the file's features with every channel twice. A
  little noise (``symmetry_noise`` times each tensor's standard deviation) on the second copies lets the two copies
  of a channel learn different things; with 0 the widened backbone reproduces the file exactly.
- BatchNorm: the file has none left, so each of our BatchNorms first becomes the identity plus the folded bias
  (``running_mean`` 0, ``running_var`` ``1 - eps``, weight 1: exact in eval mode). In train mode that would
  normalise every conv output by its batch statistics and scramble the features (cosine similarity to the eval
  features about 0.01), so the BatchNorms are then calibrated on real photos: running statistics set to the
  measured per-channel mean and variance of the conv output, weight and bias chosen so that eval mode still adds
  only the folded bias. Train mode then computes nearly the file's features too.
- ASPP 1x1 branch, image pooling and projection: only when ``aspp_channels`` is 256 (the file's width). The
  projection's columns for our three atrous branches start at zero, so the ASPP initially computes the file's
  ASPP, except that our activations are ReLU6 where the file has ReLU.
- Not mapped: the atrous ASPP branches, the decoder and the head (the file's classifier reads ASPP features, ours
  reads decoder features); they keep their random initialisation.

The file's input is ``x / 127.5 - 1`` for RGB ``x`` in 0..255, which is what the ``mobilenet_v2`` registry entry's
mean/std of 0.5 give for input in [0, 1]. Needs the ``train`` extra (``ai-edge-litert``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from segmentation.inference.preprocess import resize_for_model, to_nchw_float
from segmentation.model import DeepLabV3Plus
from segmentation.model.layers import ConvBNAct, InvertedResidual

VOC_TFLITE_NAME = "deeplabv3_mobilenetv2_voc21_257.tflite"
VOC_PERSON_CLASS = 15
_FILE_ASPP_CHANNELS = 256
_BACKBONE_BLOCKS = 17
_CALIBRATION_FOLDERS = ("people/synthetic_people/images", "backgrounds/training_only")  # training-only photos
_CALIBRATION_IMAGES = 24


def read_tflite_constants(tflite_path: Path) -> dict[str, np.ndarray]:
    """Every float32 weight and bias tensor of the TFLite file, by tensor name (TFLite layouts, copied)."""
    import warnings

    from ai_edge_litert.interpreter import Interpreter

    if not Path(tflite_path).is_file():
        raise FileNotFoundError(f"DeepLabv3 VOC model not found: {tflite_path}; see the data folder's README")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the debugging notice that experimental_preserve_all_tensors prints
        interpreter = Interpreter(model_path=str(tflite_path), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    constants = {}
    for detail in interpreter.get_tensor_details():
        name = detail["name"]
        if name.endswith(("weights", "_bias")) and detail["dtype"] == np.float32:
            constants[name] = np.array(interpreter.get_tensor(detail["index"]), copy=True)
    return constants


def _tflite_block_name(index: int) -> str:
    return "MobilenetV2/expanded_conv" if index == 0 else f"MobilenetV2/expanded_conv_{index}"


def _blocks(model: DeepLabV3Plus) -> Iterator[InvertedResidual]:
    for group in (model.backbone.low_stages, model.backbone.high_stages):
        for stage in group:
            yield from stage


def _to_oihw(weight: np.ndarray, depthwise: bool) -> torch.Tensor:
    """TFLite OHWI (depthwise 1HWO) -> torch OIHW (depthwise (C, 1, kh, kw))."""
    order = (3, 0, 1, 2) if depthwise else (0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(weight.transpose(order)))


def _widen(weight: torch.Tensor, out_channels: int, in_channels: int, *, repeated_input: bool) -> torch.Tensor:
    """Repeat output channels ``j -> j % c`` up to ``out_channels``; halve reads of a repeated input the same way.

    Only whole repetitions keep the function, so the target channel counts must be multiples of the file's.
    """
    if out_channels % weight.shape[0] or (repeated_input and in_channels % weight.shape[1]):
        raise ValueError(f"cannot widen {tuple(weight.shape[:2])} channels to ({out_channels}, {in_channels})")
    out_index = torch.arange(out_channels) % weight.shape[0]
    widened = weight[out_index]
    if repeated_input:
        in_index = torch.arange(in_channels) % weight.shape[1]
        widened = widened[:, in_index] * (weight.shape[1] / in_channels)
    return widened


class _Writer:
    """Copies (widened) file tensors into our modules, counting tensors and adding symmetry-breaking noise."""

    def __init__(self, constants: dict[str, np.ndarray], symmetry_noise: float, seed: int) -> None:
        self.constants = constants
        self.symmetry_noise = symmetry_noise
        self.generator = torch.Generator().manual_seed(seed)
        self.tensors = 0
        self.batch_norms: list[nn.BatchNorm2d] = []

    def _noisy(self, widened: torch.Tensor, original_out: int) -> torch.Tensor:
        """Add noise to the repeated output channels only, scaled to the tensor's standard deviation."""
        if self.symmetry_noise <= 0 or widened.shape[0] == original_out:
            return widened
        noise = torch.randn(widened[original_out:].shape, generator=self.generator)
        widened = widened.clone()
        widened[original_out:] += noise * self.symmetry_noise * float(widened.std())
        return widened

    def fetch(self, name: str) -> np.ndarray:
        if name not in self.constants:
            raise ValueError(f"the DeepLabv3 VOC file has no tensor {name!r}; it is not the expected model")
        return self.constants[name]

    def conv(self, conv: nn.Conv2d, name: str, *, depthwise: bool = False, repeated_input: bool = True) -> None:
        weight = _to_oihw(self.fetch(name), depthwise)
        if depthwise:
            widened = _widen(weight, conv.out_channels, 1, repeated_input=False)
        else:
            widened = _widen(weight, conv.out_channels, conv.in_channels, repeated_input=repeated_input)
        if widened.shape != conv.weight.shape:
            raise ValueError(f"{name}: file shape {tuple(weight.shape)} does not widen to {tuple(conv.weight.shape)}")
        conv.weight.copy_(self._noisy(widened, weight.shape[0]))
        self.tensors += 1

    def bias(self, name: str, channels: int) -> torch.Tensor:
        bias = torch.from_numpy(self.fetch(name))
        self.tensors += 1
        return bias[torch.arange(channels) % bias.shape[0]]

    def conv_bn(self, layer: ConvBNAct, prefix: str, *, depthwise: bool = False, repeated_input: bool = True) -> None:
        """A folded conv + bias into our Conv2d + BatchNorm2d, the BatchNorm set to the identity plus the bias."""
        conv, bn = layer[0], layer[1]
        weight_name = f"{prefix}/depthwise_weights" if depthwise else f"{prefix}/weights"
        bias_name = f"{prefix}/depthwise_bias" if depthwise else f"{prefix}/Conv2D_bias"
        self.conv(conv, weight_name, depthwise=depthwise, repeated_input=repeated_input)
        bn.weight.fill_(1.0)
        bn.bias.copy_(self.bias(bias_name, bn.num_features))
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)  # (x - 0) / sqrt(1 - eps + eps) = x
        self.batch_norms.append(bn)


def _load_backbone(model: DeepLabV3Plus, writer: _Writer) -> None:
    writer.conv_bn(model.backbone.stem, "MobilenetV2/Conv", repeated_input=False)  # RGB input is not repeated
    blocks = list(_blocks(model))
    if len(blocks) != _BACKBONE_BLOCKS:
        raise ValueError(f"expected a MobileNetV2 backbone with {_BACKBONE_BLOCKS} blocks, got {len(blocks)}")
    for index, block in enumerate(blocks):
        prefix = _tflite_block_name(index)
        if isinstance(block.expand, ConvBNAct):
            writer.conv_bn(block.expand, f"{prefix}/expand")
        writer.conv_bn(block.depthwise, f"{prefix}/depthwise", depthwise=True)
        writer.conv_bn(block.project, f"{prefix}/project")


def _load_aspp(model: DeepLabV3Plus, writer: _Writer) -> None:
    """The file's 1x1 branch, image pooling and projection into our ASPP (256 channels only)."""
    aspp = model.aspp
    writer.conv_bn(aspp.branches[0], "aspp0")
    pooling_conv = aspp.branches[-1].project[0]
    writer.conv(pooling_conv, "image_pooling/weights")
    pooling_conv.bias.copy_(writer.bias("image_pooling/Conv2D_bias", pooling_conv.out_channels))
    # File projection input: (pooling, 1x1); ours: (1x1, atrous x 3, pooling). Atrous columns start at zero.
    file_projection = _to_oihw(writer.fetch("concat_projection/weights"), depthwise=False)
    channels = _FILE_ASPP_CHANNELS
    projection = aspp.project[0]
    weight = torch.zeros_like(projection[0].weight)
    weight[:, :channels] = file_projection[:, channels:]
    weight[:, -channels:] = file_projection[:, :channels]
    projection[0].weight.copy_(weight)
    writer.tensors += 1
    projection[1].weight.fill_(1.0)
    projection[1].bias.copy_(writer.bias("concat_projection/Conv2D_bias", channels))
    projection[1].running_mean.zero_()
    projection[1].running_var.fill_(1.0 - projection[1].eps)
    writer.batch_norms.append(projection[1])


def default_calibration_images(data_root: Path, limit: int = _CALIBRATION_IMAGES) -> list[np.ndarray]:
    """Up to ``limit`` training-only photos of the data folder as (H, W, 3) uint8 RGB (people first)."""
    from segmentation.training.sources import read_rgb

    paths = [path for folder in _CALIBRATION_FOLDERS for path in sorted((data_root / folder).glob("*.jpg"))]
    if not paths:
        raise FileNotFoundError(f"no calibration photos in {data_root} (looked in {', '.join(_CALIBRATION_FOLDERS)})")
    step = max(1, len(paths) // limit)
    return [read_rgb(path, 640) for path in paths[::step][:limit]]


@torch.no_grad()
def calibrate_batch_norms(
    model: DeepLabV3Plus, batch_norms: list[nn.BatchNorm2d], images: Sequence[np.ndarray]
) -> None:
    """Give identity-plus-bias BatchNorms real running statistics without changing the eval-mode function.

    ``images`` are (H, W, 3) uint8 RGB, resized as the app resizes frames. For each BatchNorm, with input mean ``m``
    and variance ``v`` per channel over all pixels: running stats ``(m, v)``, weight ``sqrt(v + eps)``, bias
    ``m + folded bias``, so ``(x - m) / sqrt(v + eps) * sqrt(v + eps) + m + b = x + b`` in eval mode.
    """
    sums = {id(bn): [0.0, 0.0, 0] for bn in batch_norms}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...], _output: torch.Tensor) -> None:
        x = inputs[0].double()
        entry = sums[id(module)]
        entry[0] = entry[0] + x.sum(dim=(0, 2, 3))
        entry[1] = entry[1] + (x * x).sum(dim=(0, 2, 3))
        entry[2] += x.shape[0] * x.shape[2] * x.shape[3]

    was_training = model.training
    model.eval()
    hooks = [bn.register_forward_hook(record) for bn in batch_norms]
    try:
        for rgb in images:
            model(torch.from_numpy(to_nchw_float(resize_for_model(rgb))))
    finally:
        for hook in hooks:
            hook.remove()
    model.train(was_training)
    for bn in batch_norms:
        total, total_sq, count = sums[id(bn)]
        mean = total / count
        variance = (total_sq / count - mean * mean).clamp_(min=0.0)
        folded_bias = bn.bias.double().clone()
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(variance)
        bn.weight.copy_(torch.sqrt(variance + bn.eps))
        bn.bias.copy_(mean + folded_bias)


@torch.no_grad()
def load_voc_deeplabv3(
    model: DeepLabV3Plus,
    models_dir: Path,
    *,
    calibration_images: Sequence[np.ndarray] | None = None,
    symmetry_noise: float = 1e-3,
    seed: int = 0,
) -> int:
    """Initialise ``model`` (a ``mobilenet_v2`` DeepLabV3Plus) in place from the VOC file in ``models_dir``.

    Maps the backbone always and the ASPP's 1x1 branch, image pooling and projection when ``aspp_channels`` is 256
    (see the module docstring), then calibrates the mapped BatchNorms on ``calibration_images`` ((H, W, 3) uint8
    RGB; default: training-only photos of the data folder that ``models_dir`` belongs to; an empty sequence skips
    calibration). Returns the number of file tensors copied (weights and biases).
    Raises ``ValueError`` for another backbone, ``FileNotFoundError`` if the file or the photos are missing.
    """
    if model.config.backbone != "mobilenet_v2":
        raise ValueError(f"VOC DeepLabv3 weights fit the mobilenet_v2 backbone only, not {model.config.backbone!r}")
    writer = _Writer(read_tflite_constants(Path(models_dir) / VOC_TFLITE_NAME), symmetry_noise, seed)
    _load_backbone(model, writer)
    if model.config.aspp_channels == _FILE_ASPP_CHANNELS:
        _load_aspp(model, writer)
    if calibration_images is None:
        calibration_images = default_calibration_images(Path(models_dir).parent)
    if len(calibration_images):
        calibrate_batch_norms(model, writer.batch_norms, calibration_images)
    return writer.tensors
