"""``python -m segmentation.tools.bench`` runs end to end and reports every backend (timings are not checked)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from segmentation.tools import bench

pytestmark = pytest.mark.usefixtures("single_torch_thread")


@pytest.fixture(scope="module")
def spec_with_int8_backbone(random_model_spec: Path, tmp_path_factory) -> Path:
    """A copy of the random test model whose spec names a backbone-quantised ``NAME.onnx``."""
    from dataclasses import replace

    from segmentation.export.onnx_file import quantize_int8
    from segmentation.weights import load_spec, sha256_of, write_spec

    directory = tmp_path_factory.mktemp("bench_model")
    for path in random_model_spec.parent.iterdir():
        shutil.copy(path, directory / path.name)
    spec_path = directory / random_model_spec.name
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (360, 640, 3), dtype=np.uint8) for _ in range(2)]
    spec = load_spec(spec_path)
    onnx_path = directory / spec.onnx_file
    quantize_int8(random_model_spec.parent / spec.onnx_file, onnx_path, frames, precision="int8-backbone")
    write_spec(replace(spec, onnx_precision="int8-backbone", onnx_sha256=sha256_of(onnx_path)), directory)
    return spec_path


def test_bench_reports_every_backend_and_the_target(spec_with_int8_backbone: Path, capsys) -> None:
    budgets = [str(192 * 108), str(256 * 144)]
    assert (
        bench.main(
            [
                "--spec",
                str(spec_with_int8_backbone),
                "--runs",
                "3",
                "--warm-up",
                "1",
                "--threads",
                "1",
                "--budgets",
                *budgets,
            ]
        )
        == 0
    )
    output = capsys.readouterr().out
    for name in ("onnxruntime int8-backbone", "torch float32 cpu"):
        assert output.count(name) >= 2, f"{name} is missing a row per input size:\n{output}"
    assert "192x112" in output and "256x144" in output
    assert "seg(rgb) median / p90 ms" in output and "model median / p90 ms" in output
    assert "auto picks: device" in output
    assert "target 15 ms for seg(rgb) at 1280x720 with onnxruntime int8-backbone at 256x144" in output
    assert "onnxruntime float32" not in output
    assert "a distant person (the frame at 40% in a 1280x720 room): seg(rgb)" in output
    assert "with the second look at them" in output and "with one pass" in output
    if _mediapipe_can_run():
        assert "mediapipe selfie landscape" in output and "not measured" not in output
    else:
        assert "MediaPipe selfie landscape: not measured" in output


def _mediapipe_can_run() -> bool:
    """True where the bench can time the MediaPipe model: its file in the shared data folder and LiteRT installed."""
    import importlib.util

    from segmentation.data_root import default_data_root
    from segmentation.peers.mediapipe import LANDSCAPE_MODEL

    model = default_data_root() / "models" / LANDSCAPE_MODEL
    return model.is_file() and importlib.util.find_spec("ai_edge_litert") is not None


def test_bench_without_a_spec_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert bench.main(["--spec", str(tmp_path / "missing.json"), "--runs", "3"]) == 2
    error = capsys.readouterr().err
    assert "missing.json" in error and "--spec" in error and "segmentation.export" in error


def test_time_call_reports_median_and_p90() -> None:
    calls = []
    timing = bench.time_call(lambda: calls.append(1), runs=5, warm_up=2)
    assert len(calls) == 7
    assert 0.0 <= timing.median_ms <= timing.p90_ms


def test_generated_frame_when_the_clip_is_missing(tmp_path: Path) -> None:
    rgb, source = bench.benchmark_frame(tmp_path)
    assert rgb.shape == (720, 1280, 3) and rgb.dtype == np.uint8
    assert "generated" in source and "not found" in source


def test_bench_measures_the_model_named_by_the_environment(tmp_path: Path, monkeypatch) -> None:
    other_spec = tmp_path / "other.json"
    monkeypatch.setenv("GREENROOM_MODEL", str(other_spec))
    spec_path, _ = bench._parse_args([])
    assert spec_path == other_spec
