"""Inference: the ``Segmenter`` facade, its backends, ``load_segmenter`` and the checks on what a model returns."""

from segmentation.inference.choices import Backend, Device, Precision
from segmentation.inference.cuda_probe import CudaStatus, first_line, gpu_failure, probe_cuda
from segmentation.inference.loading import (
    BackendChoiceError,
    cuda_available,
    load_segmenter,
    resolve_device_and_backend,
)
from segmentation.inference.preprocess import check_rgb_frame
from segmentation.inference.segmenter import BackendInfo, LowResMask, Segmenter
from segmentation.inference.sizing import DEFAULT_PIXEL_BUDGET, area_resize_sizes, integer_area_step, model_input_size
from segmentation.inference.validation import ModelOutputError, check_mask

__all__ = [
    "DEFAULT_PIXEL_BUDGET",
    "Backend",
    "BackendChoiceError",
    "BackendInfo",
    "CudaStatus",
    "Device",
    "LowResMask",
    "ModelOutputError",
    "Precision",
    "Segmenter",
    "area_resize_sizes",
    "check_mask",
    "check_rgb_frame",
    "cuda_available",
    "first_line",
    "gpu_failure",
    "integer_area_step",
    "load_segmenter",
    "model_input_size",
    "probe_cuda",
    "resolve_device_and_backend",
]
