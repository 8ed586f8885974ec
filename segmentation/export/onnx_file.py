"""Export a ``DeepLabV3Plus`` to ONNX and check it against torch; optional static int8 quantisation.

The ONNX graph takes ``rgb``: (N, 3, H, W) float32 in [0, 1] with N, H and W dynamic (H, W multiples of 16) and
returns ``logits``: (N, 1, H, W) float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from segmentation.inference.choices import Precision
from segmentation.inference.preprocess import resize_for_model, sigmoid, to_nchw_float

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "rgb", "logits"
# What each partly quantised precision turns into int8, by node name; the whole graph for "int8".
QUANTISED_PARTS: dict[str, tuple[str, ...]] = {
    Precision.INT8_BACKBONE: ("/backbone/high_stages/",),
    Precision.INT8_LATE: ("/backbone/high_stages/", "/aspp/", "/decoder/"),
}


def export_onnx(model: torch.nn.Module, path: Path, *, sample_size: tuple[int, int] = (256, 144)) -> Path:
    """Write ``model`` (float32, eval) to ``path`` at opset 17 with dynamic batch, height and width."""
    model = model.float().eval()
    example = torch.rand(1, 3, sample_size[1], sample_size[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(
            model,
            (example,),
            str(path),
            opset_version=OPSET,
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                OUTPUT_NAME: {0: "batch", 2: "height", 3: "width"},
            },
        )
    import onnx

    onnx.checker.check_model(str(path))
    return path


def max_probability_difference(model: torch.nn.Module, onnx_path: Path, inputs: Sequence[np.ndarray]) -> float:
    """Largest |sigmoid(torch) - sigmoid(onnx)| over (N, 3, H, W) float32 inputs, via ONNX Runtime."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    with torch.no_grad():
        for batch in inputs:
            expected = sigmoid(model.float().eval()(torch.from_numpy(batch)).numpy())
            actual = sigmoid(session.run(None, {INPUT_NAME: batch})[0])
            worst = max(worst, float(np.abs(expected - actual).max()))
    return worst


class _CalibrationReader:
    """Feeds real frames, resized as the app resizes them, to ONNX Runtime's static quantiser."""

    def __init__(self, frames: Sequence[np.ndarray]) -> None:
        self._batches: Iterator[np.ndarray] = iter([to_nchw_float(resize_for_model(frame)) for frame in frames])

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def quantize_int8(
    fp32_path: Path, int8_path: Path, calibration_frames: Sequence[np.ndarray], *, precision: str = "int8"
) -> Path:
    """Static QDQ int8 quantisation (per-channel weights), calibrated on (H, W, 3) uint8 RGB frames.

    ``precision`` "int8" quantises every convolution; the others only the nodes under their ``QUANTISED_PARTS``.
    "int8-backbone": the backbone's stages past stride 4. "int8-late": those, ASPP and the decoder. Both keep the
    stem and the stride-4 stages float32: quantising the features that also feed the decoder's skip connection
    makes the mask flicker (v3 on the demo clip: 0.0259 with them in int8, 0.0249 without, 0.0268 fully
    quantised; v6: 0.0256 with them, 0.0232 without). v6's "int8-late" graph flickers as its "int8-backbone" one
    (0.0233 against 0.0232) and runs 1.2-1.4 ms faster per 720p frame on the 2-core CPU.
    """
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(_CalibrationReader, CalibrationDataReader):
        pass

    prepared = int8_path.with_suffix(".prep.onnx")
    quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
    float_nodes = []
    if precision != Precision.INT8:
        if precision not in QUANTISED_PARTS:
            raise ValueError(f"no int8 precision {precision!r}: expected int8 or one of {sorted(QUANTISED_PARTS)}")
        names = [node.name for node in onnx.load(str(prepared)).graph.node]
        float_nodes = [name for name in names if not name.startswith(QUANTISED_PARTS[precision])]
    quantize_static(
        str(prepared),
        str(int8_path),
        Reader(calibration_frames),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        weight_type=QuantType.QInt8,
        activation_type=QuantType.QUInt8,
        nodes_to_exclude=float_nodes,
    )
    prepared.unlink(missing_ok=True)
    return int8_path
