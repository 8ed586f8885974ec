"""What a segmenter runs on, as types: the device, the backend and the precision, and the one rule that picks the
precision. ``StrEnum`` members compare equal to their text (``Device.CUDA == "cuda"``), which is what the command
line, the settings file and the tables show."""

from __future__ import annotations

from enum import StrEnum


class Device(StrEnum):
    AUTO = "auto"  # a choice only: CUDA when a GPU is visible, else the CPU
    CPU = "cpu"
    CUDA = "cuda"


class Backend(StrEnum):
    AUTO = "auto"  # a choice only: torch on CUDA, ONNX Runtime on the CPU
    TORCH = "torch"
    ONNXRUNTIME = "onnxruntime"


class Precision(StrEnum):
    FLOAT32 = "float32"
    FLOAT16 = "float16"
    INT8 = "int8"  # ONNX: every convolution int8 (static, calibrated)
    INT8_BACKBONE = "int8-backbone"  # ONNX: the backbone's stages past stride 4 in int8, the rest float32
    # ONNX: the backbone's stages past stride 4, ASPP and the decoder in int8; the stem, the stride-4 stages and the
    # head float32
    INT8_LATE = "int8-late"


ONNX_PRECISIONS = (Precision.FLOAT32, Precision.INT8, Precision.INT8_BACKBONE, Precision.INT8_LATE)
"""What ``NAME.onnx`` may compute in (``ModelSpec.onnx_precision``)."""


def torch_precision(device: Device) -> Precision:
    """The precision the torch backend runs in on ``device``: half on CUDA (tensor cores, half the memory
    traffic), float32 on the CPU (no fast half-precision kernels there)."""
    return Precision.FLOAT16 if device is Device.CUDA else Precision.FLOAT32
