"""``python -m segmentation.export``: ONNX precision choices, calibration outside the held-out split, ``--out``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmentation.export import main as export_main
from segmentation.training.config import TrainConfig
from segmentation.training.sources import is_validation
from segmentation.weights import load_spec, sha256_of, spec_path_for

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def _export_int8_backbone(spec_path: Path, out: Path, data_root: Path) -> tuple[Path, int, str]:
    """Re-export ``spec_path`` into ``out`` with ``--onnx-precision int8-backbone``: (new spec, exit code, stdout)."""
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = export_main(
            [
                "--spec",
                str(spec_path),
                "--out",
                str(out),
                "--onnx-precision",
                "int8-backbone",
                "--calibration-images",
                str(data_root / "people" / "web_photos" / "images"),
            ]
        )
    return out / spec_path.name, code, printed.getvalue()


@pytest.fixture(scope="module")
def backbone_int8_export(data_root: Path, tmp_path_factory) -> tuple[Path, int, str]:
    """The shipped model's weights exported with an int8 backbone (trained weights quantise; random ones do not)."""
    return _export_int8_backbone(spec_path_for(), tmp_path_factory.mktemp("int8_backbone"), data_root)


def test_quantisation_that_changes_the_masks_fails_the_export(random_model_spec, data_root, tmp_path, capsys) -> None:
    """Random weights have no margin: quantising them flips many pixels, and the agreement check must say so."""
    _, code, printed = _export_int8_backbone(random_model_spec, tmp_path, data_root)
    assert code == 1
    assert "mean mask IoU" in printed
    err = capsys.readouterr().err
    assert "agree with torch below IoU 0.97" in err and "nothing was written" in err
    assert not list(tmp_path.iterdir())  # no spec naming the rejected graph, no staging left behind


def test_int8_backbone_export_writes_a_spec_that_states_it(backbone_int8_export, int8_convolutions) -> None:
    spec_path, code, printed = backbone_int8_export
    assert code == 0, printed
    spec = load_spec(spec_path)
    assert spec.onnx_precision == "int8-backbone"
    onnx_path = spec_path.parent / spec.onnx_file
    assert spec.onnx_sha256 == sha256_of(onnx_path)
    assert sha256_of(spec_path.parent / spec.weights_file) == spec.weights_sha256
    quantised = int8_convolutions(onnx_path)
    assert quantised and all(name.startswith("/backbone/high_stages/") for name in quantised)
    assert "mean mask IoU" in printed and "not used for calibration" in printed


def test_loaded_int8_backbone_model_reports_its_precision(backbone_int8_export) -> None:
    import numpy as np

    from segmentation.inference import load_segmenter

    spec_path, _, _ = backbone_int8_export
    segmenter = load_segmenter("cpu", "auto", spec_path=spec_path, threads=1)
    assert (segmenter.info.backend, segmenter.info.precision) == ("onnxruntime", "int8-backbone")
    alpha = segmenter(np.zeros((180, 320, 3), np.uint8))
    assert alpha.shape == (180, 320) and np.isfinite(alpha).all()
    torch_segmenter = load_segmenter("cpu", "torch", spec_path=spec_path, threads=1)
    assert torch_segmenter.info.precision == "float32"  # the torch path reads the float16 safetensors


def test_calibration_frames_leave_out_the_held_out_split(data_root: Path, monkeypatch) -> None:
    from segmentation.export import ship as export

    read = []
    monkeypatch.setattr(export, "read_rgb", lambda path, side: read.append(path.stem) or path.stem)
    frames = export._frames(data_root / "people" / "web_photos" / "images", 32)
    assert len(frames) == 32
    assert not any(is_validation(stem, TrainConfig.val_fraction) for stem in read)


def test_int8_export_without_calibration_images_says_what_to_do(random_model_spec: Path, tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        export_main(["--spec", str(random_model_spec), "--out", str(tmp_path), "--onnx-precision", "int8"])
    assert exit_info.value.code == 2
    assert "--calibration-images" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_re_export_honours_out_and_leaves_the_source_alone(random_model_spec: Path, tmp_path) -> None:
    before = {path.name: sha256_of(path) for path in random_model_spec.parent.iterdir()}
    assert export_main(["--spec", str(random_model_spec), "--out", str(tmp_path)]) == 0
    spec = json.loads((tmp_path / random_model_spec.name).read_text())
    assert spec["onnx_precision"] == "float32"
    assert {spec["weights_file"], spec["onnx_file"]} <= {path.name for path in tmp_path.iterdir()}
    assert {path.name: sha256_of(path) for path in random_model_spec.parent.iterdir()} == before


def test_calibration_folder_without_usable_images_says_so(random_model_spec: Path, tmp_path, capsys) -> None:
    empty, out = tmp_path / "no_frames", tmp_path / "out"
    empty.mkdir()
    with pytest.raises(SystemExit) as exit_info:
        export_main(["--spec", str(random_model_spec), "--out", str(out), "--calibration-images", str(empty)])
    assert exit_info.value.code == 2
    assert "has no .jpg" in capsys.readouterr().err
    assert not out.exists()
