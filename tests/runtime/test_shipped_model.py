"""The model in ``assets/models``: its files verify, and its ONNX graph agrees with its weights at its precision."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.inference import load_segmenter
from segmentation.metrics import iou
from segmentation.weights import load_spec, spec_path_for

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def test_shipped_onnx_agrees_with_the_shipped_weights(real_photos: list[np.ndarray]) -> None:
    """float32 graphs must match torch within 1e-3 in probability; quantised ones must keep the masks (IoU)."""
    spec = load_spec(spec_path_for())
    on_onnx = load_segmenter("cpu", "onnxruntime", spec_path=spec_path_for(), threads=1)
    on_torch = load_segmenter("cpu", "torch", spec_path=spec_path_for(), threads=1)
    assert on_onnx.info.precision == spec.onnx_precision
    for photo in real_photos:
        onnx_alpha, torch_alpha = on_onnx(photo), on_torch(photo)
        if spec.onnx_precision == "float32":
            assert float(np.abs(onnx_alpha - torch_alpha).max()) < 1e-3
        else:
            assert iou(onnx_alpha, torch_alpha) >= 0.95
