"""Weights files: float16 round trip, and a ``WeightsError`` naming the file and the remedy for every bad file."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from segmentation import load_segmenter
from segmentation.model import ArchitectureConfig, build_deeplabv3plus
from segmentation.weights import (
    ASSETS_MODELS_DIR,
    ModelSpec,
    WeightsError,
    build_model_from_spec,
    load_spec,
    save_weights,
    sha256_of,
    write_spec,
)

pytestmark = pytest.mark.usefixtures("single_torch_thread")

NAME = "weights-test"
REMEDY = ("reinstall Greenroom", "python -m segmentation.export")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, vary_batch_norms) -> tuple[torch.nn.Module, Path]:
    """A random-weights model (varied output) and the folder where ``save_weights`` wrote it."""
    torch.manual_seed(1)
    model = build_deeplabv3plus(backbone="mobilenet_v2")
    vary_batch_norms(model)
    directory = tmp_path_factory.mktemp("saved")
    save_weights(model, ModelSpec(name=NAME, architecture=model.config, weights_file="", weights_sha256=""), directory)
    return model, directory


@pytest.fixture
def copy_of_saved(saved, tmp_path) -> Path:
    """A private copy of the saved folder that a test may damage; returns its spec path."""
    shutil.copytree(saved[1], tmp_path / "model")
    return tmp_path / "model" / f"{NAME}.json"


def _assert_helpful(error: pytest.ExceptionInfo, file_name: str) -> None:
    message = str(error.value)
    assert file_name in message, f"the message does not name {file_name}: {message}"
    assert any(remedy in message for remedy in REMEDY), f"the message does not say what to do: {message}"


def test_save_writes_float16_safetensors_and_a_spec_with_its_checksum(saved) -> None:
    _, directory = saved
    spec = load_spec(directory / f"{NAME}.json")
    assert spec.weights_file == f"{NAME}.safetensors"
    assert spec.weights_sha256 == sha256_of(directory / spec.weights_file)
    assert spec.architecture == ArchitectureConfig(backbone="mobilenet_v2")
    tensors = load_file(str(directory / spec.weights_file))
    assert {tensor.dtype for tensor in tensors.values()} == {torch.float16}
    if os.name == "posix":  # readable by every user, as the other model files are
        assert (directory / spec.weights_file).stat().st_mode & 0o777 == 0o644


def test_reloaded_model_equals_the_float16_rounded_model(saved) -> None:
    model, directory = saved
    reloaded = build_model_from_spec(load_spec(directory / f"{NAME}.json"), directory)
    assert not reloaded.training
    rounded = build_deeplabv3plus(backbone="mobilenet_v2").eval()
    rounded.load_state_dict(
        {key: value.half().float() if value.is_floating_point() else value for key, value in model.state_dict().items()}
    )
    rgb = torch.rand(2, 3, 144, 256)
    with torch.no_grad():
        expected, actual = rounded(rgb), reloaded(rgb)
    assert float(expected.std()) > 1e-3, "the test model's output is flat, so the comparison would prove nothing"
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_missing_spec(tmp_path) -> None:
    with pytest.raises(WeightsError, match="model description not found") as error:
        load_spec(ASSETS_MODELS_DIR / "nowhere.json")
    _assert_helpful(error, "nowhere.json")


def test_missing_spec_the_user_named_asks_to_check_the_path(tmp_path) -> None:
    with pytest.raises(WeightsError, match=r"nowhere.json; check the path of the model's .json file"):
        load_spec(tmp_path / "nowhere.json")


def test_malformed_json_spec(copy_of_saved) -> None:
    copy_of_saved.write_text('{"name": "weights-test", "architecture": ', encoding="utf-8")
    with pytest.raises(WeightsError, match="not a valid Greenroom model spec") as error:
        load_spec(copy_of_saved)
    _assert_helpful(error, copy_of_saved.name)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("colour", "green", "not a valid Greenroom model spec"), ("onnx_precision", "int4", "onnx_precision 'int4'")],
    ids=["unknown field", "unknown onnx precision"],
)
def test_spec_with_a_bad_field(copy_of_saved, field: str, value: str, message: str) -> None:
    raw = json.loads(copy_of_saved.read_text())
    raw[field] = value
    copy_of_saved.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(WeightsError, match=message) as error:
        load_spec(copy_of_saved)
    _assert_helpful(error, copy_of_saved.name)


def test_missing_weights_file(copy_of_saved) -> None:
    (copy_of_saved.parent / f"{NAME}.safetensors").unlink()
    with pytest.raises(WeightsError, match="model weights not found") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, f"{NAME}.safetensors")


def test_missing_weights_file_through_load_segmenter(copy_of_saved) -> None:
    (copy_of_saved.parent / f"{NAME}.safetensors").unlink()
    with pytest.raises(WeightsError, match="not found") as error:
        load_segmenter("cpu", "torch", spec_path=copy_of_saved)
    _assert_helpful(error, f"{NAME}.safetensors")


def test_truncated_weights_file_fails_its_checksum(copy_of_saved) -> None:
    weights = copy_of_saved.parent / f"{NAME}.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(WeightsError, match="is damaged") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, weights.name)


def test_truncated_weights_file_with_matching_checksum_cannot_be_parsed(copy_of_saved) -> None:
    """A spec re-written for a cut file still fails, at parsing, with the same kind of message."""
    weights = copy_of_saved.parent / f"{NAME}.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    spec = load_spec(copy_of_saved)
    write_spec(replace(spec, weights_sha256=sha256_of(weights)), copy_of_saved.parent)
    with pytest.raises(WeightsError, match="cannot be read as safetensors") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, weights.name)


def test_corrupted_bytes_fail_the_checksum(copy_of_saved) -> None:
    weights = copy_of_saved.parent / f"{NAME}.safetensors"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(255 - value for value in data[middle : middle + 8])
    weights.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match=r"SHA-256 .* expected") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, weights.name)


def test_foreign_safetensors_file_is_refused(copy_of_saved) -> None:
    """A valid safetensors file with other keys, and a spec whose checksum matches it."""
    weights = copy_of_saved.parent / f"{NAME}.safetensors"
    save_file({"encoder.conv1.weight": torch.zeros(8, 3, 3, 3, dtype=torch.float16)}, str(weights))
    write_spec(replace(load_spec(copy_of_saved), weights_sha256=sha256_of(weights)), copy_of_saved.parent)
    with pytest.raises(WeightsError, match="do not fit architecture") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, weights.name)
    assert "encoder.conv1.weight" in str(error.value)  # an unexpected key is shown


def test_weights_of_another_width_are_refused(copy_of_saved) -> None:
    """The spec claims aspp_channels=256 but the file holds the 128-channel model."""
    spec = load_spec(copy_of_saved)
    write_spec(replace(spec, architecture=replace(spec.architecture, aspp_channels=256)), copy_of_saved.parent)
    with pytest.raises(WeightsError, match="wrong tensor shapes") as error:
        build_model_from_spec(load_spec(copy_of_saved), copy_of_saved.parent)
    _assert_helpful(error, f"{NAME}.safetensors")
    assert "aspp" in str(error.value)  # the first mismatching tensor is named


def test_damaged_onnx_file_through_load_segmenter(saved, tmp_path) -> None:
    """The ONNX file is checksummed too: a spec that names one the folder lacks fails before ONNX Runtime runs."""
    _, directory = saved
    shutil.copytree(directory, tmp_path / "model")
    spec_path = tmp_path / "model" / f"{NAME}.json"
    write_spec(replace(load_spec(spec_path), onnx_file=f"{NAME}.onnx", onnx_sha256="0" * 64), spec_path.parent)
    (spec_path.parent / f"{NAME}.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(WeightsError, match=r"ONNX model .* is damaged") as error:
        load_segmenter("cpu", "onnxruntime", spec_path=spec_path)
    _assert_helpful(error, f"{NAME}.onnx")
