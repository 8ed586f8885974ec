"""Inference: the ``Segmenter`` facade, its backends and ``load_segmenter``."""

from segmentation.inference.loading import load_segmenter, resolve_device_and_backend
from segmentation.inference.segmenter import BackendInfo, Segmenter
from segmentation.inference.sizing import model_input_size

__all__ = ["BackendInfo", "Segmenter", "load_segmenter", "model_input_size", "resolve_device_and_backend"]
