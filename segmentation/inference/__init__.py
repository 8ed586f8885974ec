"""Inference: the ``Segmenter`` facade, its backends, ``load_segmenter`` and the checks on what a model returns."""

from segmentation.inference.choices import Backend, Device, Precision
from segmentation.inference.loading import (
    BackendChoiceError,
    cuda_available,
    load_segmenter,
    resolve_device_and_backend,
)
from segmentation.inference.segmenter import BackendInfo, LowResMask, Segmenter
from segmentation.inference.sizing import model_input_size
from segmentation.inference.validation import ModelOutputError, check_mask

__all__ = [
    "Backend",
    "BackendChoiceError",
    "BackendInfo",
    "Device",
    "LowResMask",
    "ModelOutputError",
    "Precision",
    "Segmenter",
    "check_mask",
    "cuda_available",
    "load_segmenter",
    "model_input_size",
    "resolve_device_and_backend",
]
