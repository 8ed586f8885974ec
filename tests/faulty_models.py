"""Models that misbehave, for the fail-safe tests: ONNX files written as a custom model would be (a graph and its
spec), and ``FaultyBackend``, a backend behind the real ``Segmenter`` that returns NaN or +inf on the calls it is told.

Each graph takes ``rgb`` (N, 3, H, W) float32 in [0, 1]. The well-formed ones return (N, 1, H, W) logits
``8 * (mean over channels) - 4``: bright pixels are "person", dark ones "room", so a test can tell where the
background must show.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from segmentation.inference.segmenter import BackendInfo, Segmenter

FLASH_LEVEL = 0.9  # the "white flash" model returns NaN for frames brighter than this on average


def _constant(name: str, value: float | list[int]) -> onnx.NodeProto:
    array = np.array(value, np.int64 if isinstance(value, list) else np.float32)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name))


def _brightness_logits(nodes: list[onnx.NodeProto], output: str) -> None:
    """Append nodes computing ``8 * mean_c(rgb) - 4`` as (N, 1, H, W) into ``output``."""
    nodes += [
        _constant("axes_c", [1]),
        helper.make_node("ReduceMean", ["rgb", "axes_c"], ["grey"], keepdims=1),
        _constant("eight", 8.0),
        _constant("four", 4.0),
        helper.make_node("Mul", ["grey", "eight"], ["scaled"]),
        helper.make_node("Sub", ["scaled", "four"], [output]),
    ]


def _graph(kind: str) -> onnx.ModelProto:
    nodes: list[onnx.NodeProto] = []
    output_shape: list[object] = ["N", 1, "H", "W"]
    if kind == "brightness":
        _brightness_logits(nodes, "logits")
    elif kind in ("nan", "inf"):
        _brightness_logits(nodes, "finite")
        nodes += [_constant("bad", float("nan") if kind == "nan" else float("inf"))]
        nodes += [helper.make_node("Add", ["finite", "bad"], ["logits"])]
    elif kind == "flash":  # NaN only for a frame brighter than FLASH_LEVEL on average: sqrt of a negative number
        _brightness_logits(nodes, "finite")
        nodes += [
            helper.make_node("ReduceMean", ["rgb"], ["level"], keepdims=1),
            _constant("flash", FLASH_LEVEL),
            _constant("zero", 0.0),
            helper.make_node("Sub", ["flash", "level"], ["margin"]),
            helper.make_node("Sqrt", ["margin"], ["root"]),
            helper.make_node("Mul", ["root", "zero"], ["poison"]),
            helper.make_node("Add", ["finite", "poison"], ["logits"]),
        ]
    elif kind == "no-channel":  # (N, H, W)
        _brightness_logits(nodes, "finite")
        nodes += [_constant("axis", [1]), helper.make_node("Squeeze", ["finite", "axis"], ["logits"])]
        output_shape = ["N", "H", "W"]
    elif kind == "two-channels":
        _brightness_logits(nodes, "finite")
        nodes += [helper.make_node("Concat", ["finite", "finite"], ["logits"], axis=1)]
        output_shape = ["N", 2, "H", "W"]
    elif kind == "half-size":
        _brightness_logits(nodes, "finite")
        nodes += [helper.make_node("MaxPool", ["finite"], ["logits"], kernel_shape=[2, 2], strides=[2, 2])]
        output_shape = ["N", 1, "h", "w"]
    elif kind == "near-constant":  # 20 + 0.001 * grey: "person" everywhere, varying by a hair
        _brightness_logits(nodes, "finite")
        nodes += [
            _constant("hair", 0.001),
            _constant("twenty", 20.0),
            helper.make_node("Mul", ["grey", "hair"], ["tiny"]),
            helper.make_node("Add", ["tiny", "twenty"], ["logits"]),
        ]
    elif kind == "all-person":  # the grey level itself, 0 to 1: every pixel at least half person
        _brightness_logits(nodes, "finite")
        nodes += [helper.make_node("Identity", ["grey"], ["logits"])]
    elif kind == "batch-of-one-person":  # well-formed in a batch of two, +20 everywhere for a single frame
        _brightness_logits(nodes, "finite")
        nodes += [
            helper.make_node("Shape", ["rgb"], ["shape"]),
            _constant("first", [0]),
            helper.make_node("Gather", ["shape", "first"], ["count"], axis=0),
            _constant("one", [1]),
            helper.make_node("Equal", ["count", "one"], ["single"]),
            _constant("twenty", 20.0),
            helper.make_node("Where", ["single", "twenty", "finite"], ["logits"]),
        ]
    elif kind == "constant":  # ignores the picture: 0 everywhere (a mask of 0.5)
        _brightness_logits(nodes, "finite")
        nodes += [_constant("zero", 0.0), helper.make_node("Mul", ["finite", "zero"], ["logits"])]
    else:
        raise ValueError(f"unknown faulty model {kind!r}")
    graph = helper.make_graph(
        nodes,
        f"faulty-{kind}",
        [helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, output_shape)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def write_faulty_model(directory: Path, kind: str, **spec_fields: object) -> Path:
    """Write ``faulty-KIND.onnx`` and its spec into ``directory``; return the spec's path.

    ``kind``: ``brightness`` (well-formed), ``nan``, ``inf``, ``flash`` (NaN for a bright frame), ``no-channel``,
    ``two-channels``, ``half-size``, ``constant``, ``near-constant``, ``all-person`` or ``batch-of-one-person``.
    ``spec_fields`` override fields of the spec (for the spec checks).
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = f"faulty-{kind}"
    onnx_path = directory / f"{name}.onnx"
    onnx.save(_graph(kind), str(onnx_path))
    weights = directory / f"{name}.safetensors"  # never read on the ONNX Runtime path; named because specs need it
    weights.write_bytes(b"unused")
    spec = {
        "name": name,
        "architecture": {
            "backbone": "efficientnet_lite0",
            "output_stride": 16,
            "aspp_channels": 128,
            "decoder_channels": 128,
        },
        "weights_file": weights.name,
        "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "onnx_file": onnx_path.name,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "pixel_budget": 256 * 144,
        "onnx_precision": "float32",
        **spec_fields,
    }
    spec_path = directory / f"{name}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    return spec_path


class FaultyBackend:
    """``run_batch`` for ``Segmenter``: half-person logits, or ``bad`` (NaN, +inf) on the calls in ``bad_calls``
    (every call when ``bad_calls`` is None)."""

    def __init__(self, bad: float, bad_calls: set[int] | None = None) -> None:
        self.bad, self.bad_calls, self.calls = bad, bad_calls, 0
        self.lock = threading.Lock()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self.lock:
            self.calls += 1
            call = self.calls
        logits = np.full((batch.shape[0], 1, *batch.shape[2:]), -8.0, np.float32)
        logits[..., : batch.shape[3] // 2] = 8.0
        if self.bad_calls is None or call in self.bad_calls:
            logits[..., 10:20, :] = self.bad  # a band is enough: one NaN pixel used to poison the smoother for good
        return logits


def faulty_segmenter(backend: FaultyBackend) -> Segmenter:
    """The real ``Segmenter`` facade around a fake backend."""
    return Segmenter(backend, BackendInfo(backend="fake", device="cpu", precision="float32", model_name="faulty"))
