"""Static int8 quantisation of the exported graph: the whole model, or the parts each partial precision names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("single_torch_thread")

PARTS = {  # precision -> (node-name prefixes that must hold int8 convolutions, prefixes that must hold none)
    "int8": (("/backbone/high_stages/", "/backbone/low_stages/", "/aspp/", "/decoder/"), ()),
    "int8-backbone": (("/backbone/high_stages/",), ("/backbone/stem", "/backbone/low_stages/", "/aspp/", "/decoder/")),
    "int8-late": (("/backbone/high_stages/", "/aspp/", "/decoder/"), ("/backbone/stem", "/backbone/low_stages/")),
}


@pytest.mark.parametrize("precision", sorted(PARTS))
def test_quantisation_covers_the_requested_part(
    random_model_spec: Path, tmp_path: Path, precision: str, int8_convolutions
) -> None:
    import onnxruntime as ort

    from segmentation.export.onnx_file import INPUT_NAME, quantize_int8
    from segmentation.inference.preprocess import resize_for_model, to_nchw_float

    fp32_path = random_model_spec.with_suffix(".onnx")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(3)]
    int8_path = quantize_int8(fp32_path, tmp_path / "model.int8.onnx", frames[:2], precision=precision)

    quantised = int8_convolutions(int8_path)
    quantised_parts, float_parts = PARTS[precision]
    for part in quantised_parts:
        assert any(name.startswith(part) for name in quantised), f"{precision}: nothing under {part} is int8"
    for part in float_parts:
        assert not any(name.startswith(part) for name in quantised), f"{precision}: {part} should stay float32"

    batch = to_nchw_float(resize_for_model(frames[2]))
    fp32, int8 = (
        ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {INPUT_NAME: batch})[0]
        for path in (fp32_path, int8_path)
    )
    assert int8.shape == fp32.shape and np.isfinite(int8).all()


def test_an_unknown_precision_is_refused(random_model_spec: Path, tmp_path: Path) -> None:
    from segmentation.export.onnx_file import quantize_int8

    frames = [np.zeros((360, 640, 3), np.uint8)]
    with pytest.raises(ValueError, match="no int8 precision 'int4'"):
        quantize_int8(random_model_spec.with_suffix(".onnx"), tmp_path / "model.int8.onnx", frames, precision="int4")
