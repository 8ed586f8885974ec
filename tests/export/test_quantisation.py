"""Static int8 quantisation of the exported graph: whole model, or the backbone's stages past stride 4 only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.mark.parametrize("backbone_only", [False, True])
def test_quantisation_covers_the_requested_part(
    random_model_spec: Path, tmp_path: Path, backbone_only: bool, int8_convolutions
) -> None:
    import onnxruntime as ort

    from segmentation.export.onnx_file import INPUT_NAME, quantize_int8
    from segmentation.inference.preprocess import resize_for_model, to_nchw_float

    fp32_path = random_model_spec.with_suffix(".onnx")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(3)]
    int8_path = quantize_int8(fp32_path, tmp_path / "model.int8.onnx", frames[:2], backbone_only=backbone_only)

    quantised = int8_convolutions(int8_path)
    deep_backbone = [name for name in quantised if name.startswith("/backbone/high_stages/")]
    elsewhere = [name for name in quantised if not name.startswith("/backbone/high_stages/")]
    assert deep_backbone, "the backbone's stages past stride 4 should be quantised"
    # The stem, the stride-4 stages (they feed the decoder's skip), ASPP and decoder stay float32 only when asked.
    assert (not elsewhere) if backbone_only else any(name.startswith("/backbone/low_stages/") for name in elsewhere)
    assert backbone_only or any(name.startswith("/decoder/") for name in elsewhere)

    batch = to_nchw_float(resize_for_model(frames[2]))
    fp32, int8 = (
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {INPUT_NAME: batch})[0]
        for path in (fp32_path, int8_path)
    )
    assert int8.shape == fp32.shape and np.isfinite(int8).all()
