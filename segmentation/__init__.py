"""Greenroom's person segmentation: DeepLabv3+ model, weights, inference backends, training and export.

Public entry point (the app imports nothing else from this package)::

    from segmentation import load_segmenter
    seg = load_segmenter(device="auto", backend="auto")
    alpha = seg(rgb)  # (H, W, 3) uint8 RGB -> (H, W) float32 in [0, 1]
    low = seg.infer(rgb, pixel_budget)  # LowResMask: the frame at the model's input size and its mask

This package never imports Qt; torch is imported only when a torch backend, training or export needs it.
"""

from segmentation.inference import (
    DEFAULT_PIXEL_BUDGET,
    Backend,
    BackendChoiceError,
    BackendInfo,
    CudaStatus,
    Device,
    LowResMask,
    ModelOutputError,
    Precision,
    Segmenter,
    area_resize_sizes,
    check_mask,
    check_rgb_frame,
    cuda_available,
    first_line,
    gpu_failure,
    integer_area_step,
    load_segmenter,
    model_input_size,
    probe_cuda,
)
from segmentation.weights import ModelSpec, WeightsError

__all__ = [
    "DEFAULT_PIXEL_BUDGET",
    "Backend",
    "BackendChoiceError",
    "BackendInfo",
    "CudaStatus",
    "Device",
    "LowResMask",
    "ModelOutputError",
    "ModelSpec",
    "Precision",
    "Segmenter",
    "WeightsError",
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
]
