"""Greenroom's person segmentation: DeepLabv3+ model, weights, inference backends, training and export.

Public entry point::

    from segmentation import load_segmenter
    seg = load_segmenter(device="auto", backend="auto")
    alpha = seg(rgb)  # (H, W, 3) uint8 RGB -> (H, W) float32 in [0, 1]

This package never imports Qt; torch is imported only when a torch backend, training or export needs it.
"""

from segmentation.inference import BackendInfo, Segmenter, load_segmenter, model_input_size
from segmentation.weights import ModelSpec, WeightsError

__all__ = ["BackendInfo", "ModelSpec", "Segmenter", "WeightsError", "load_segmenter", "model_input_size"]
