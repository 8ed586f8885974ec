"""A model is input too: its outputs and its description are checked, so that no model file can show the room.

Faulty models are real ONNX files written by ``faulty_models`` and loaded the way a user's custom model is.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from faulty_models import write_faulty_model

from segmentation import WeightsError, load_segmenter
from segmentation.inference.segmenter import BackendInfo, Segmenter
from segmentation.inference.validation import ModelOutputError, check_logits, check_mask
from segmentation.weights import load_spec

INFO = BackendInfo(backend="fake", device="cpu", precision="float32", model_name="fake")


def _load(spec_path: Path):
    return load_segmenter(device="cpu", backend="onnxruntime", spec_path=spec_path, threads=1)


def test_a_well_formed_custom_model_loads_and_segments(tmp_path: Path) -> None:
    segmenter = _load(write_faulty_model(tmp_path, "brightness"))
    frame = np.zeros((144, 256, 3), np.uint8)
    frame[:, 128:] = 255
    mask = segmenter.low_res(frame)
    assert mask[:, :100].max() < 0.05 and mask[:, 150:].min() > 0.95


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("nan", "returned NaN or infinite values"),
        ("inf", "returned NaN or infinite values"),
        ("no-channel", r"shape \(2, 144, 256\) for an input of shape \(2, 3, 144, 256\)"),
        ("two-channels", r"shape \(2, 2, 144, 256\)"),
        ("half-size", r"shape \(2, 1, 72, 128\)"),
        ("constant", "returned 0 for every pixel"),
        ("near-constant", "its output hardly depends on the picture"),
        ("all-person", "calls every pixel of a picture with nobody in it a person"),
        ("batch-of-one-person", "returned 20 for every pixel"),
    ],
)
def test_a_model_that_does_not_return_a_person_mask_is_refused_at_load(tmp_path: Path, kind: str, message: str):
    """These used to load: NaN, +inf and the last three showed the whole room, the others the room at half strength
    or a crash."""
    spec_path = write_faulty_model(tmp_path, kind)
    with pytest.raises(WeightsError, match=message) as error:
        _load(spec_path)
    assert str(spec_path) in str(error.value) and "use a Greenroom model" in str(error.value)


def test_a_model_that_fails_on_a_test_frame_is_refused_with_one_line(tmp_path: Path) -> None:
    spec_path = write_faulty_model(tmp_path, "brightness")
    from segmentation.inference import loading

    def failing(batch):
        raise RuntimeError("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : bad input\nsecond line")

    with pytest.raises(WeightsError, match=r"fails on a test frame \(RuntimeError: \[ONNXRuntimeError\]") as error:
        loading._probe_and_warm_up(Segmenter(failing, INFO), spec_path)
    assert "\n" not in str(error.value)


def test_a_model_that_fails_only_at_warm_up_is_refused_with_one_line(tmp_path: Path) -> None:
    """The warm-up ran outside the probe's error handling: a traceback instead of one line."""
    spec_path = write_faulty_model(tmp_path, "brightness")
    from segmentation.inference import loading

    calls = []

    def fails_after_the_probe(batch):
        calls.append(batch.shape)
        if len(calls) > 4:  # the probe makes four calls
            return np.full((batch.shape[0], 1, *batch.shape[2:]), np.nan, np.float32)
        logits = np.full((batch.shape[0], 1, *batch.shape[2:]), -3.0, np.float32)
        logits[..., : batch.shape[3] // 3] = batch[:, :1, :, : batch.shape[3] // 3] * 8
        return logits

    with pytest.raises(WeightsError, match="NaN or infinite values"):
        loading._probe_and_warm_up(Segmenter(fails_after_the_probe, INFO), spec_path)


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        (np.full((1, 1, 144, 256), np.nan, np.float32), "NaN or infinite"),
        (np.full((1, 1, 144, 256), np.inf, np.float32), "NaN or infinite"),
        (np.full((1, 1, 144, 256), -np.inf, np.float32), "NaN or infinite"),
        (np.zeros((1, 144, 256), np.float32), "shape"),
        (np.zeros((1, 1, 144, 256), np.int64), "int64 values"),
        (np.full((1, 1, 144, 256), 20.0, np.float32), "returned 20 for every pixel"),
        (np.full((1, 1, 144, 256), 1e308, np.float64), "NaN or infinite"),
        ([[0.0]], "list values"),
    ],
    ids=["nan", "inf", "-inf", "no channel", "integers", "constant", "beyond float32", "not an array"],
)
def test_every_segmenter_call_checks_what_the_backend_returned(logits, message: str) -> None:
    """A backend that goes wrong mid-stream (fp16 on a GPU overflowing, say) raises instead of giving a mask."""
    segmenter = Segmenter(lambda batch: logits, INFO)
    with pytest.raises(ModelOutputError, match=message):
        segmenter.low_res(np.zeros((144, 256, 3), np.uint8))
    with pytest.raises(ModelOutputError, match=message):
        segmenter.batch([np.zeros((144, 256, 3), np.uint8)])


def test_one_nan_pixel_is_enough_to_refuse_the_mask() -> None:
    logits = np.zeros((1, 1, 144, 256), np.float32)
    logits[0, 0, 70, 100] = np.nan
    with pytest.raises(ModelOutputError):
        check_logits(logits, (1, 3, 144, 256))
    good = np.zeros((1, 1, 144, 256), np.float32)
    good[0, 0, 0, 0] = 1.0
    assert check_logits(good, (1, 3, 144, 256)).shape == (1, 1, 144, 256)


@pytest.mark.parametrize(
    "mask",
    [
        np.full((9, 16), np.nan, np.float32),
        np.full((9, 16), 1.5, np.float32),
        np.full((9, 16), -0.1, np.float32),
        np.zeros((9, 16), np.float64),
        np.zeros((8, 16), np.float32),
    ],
    ids=["nan", "above 1", "below 0", "float64", "wrong size"],
)
def test_check_mask_refuses_what_is_not_a_mask(mask: np.ndarray) -> None:
    with pytest.raises(ModelOutputError):
        check_mask(mask, (9, 16))


def _spec_with(tmp_path: Path, **fields: object) -> Path:
    return write_faulty_model(tmp_path, "brightness", **fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pixel_budget": "abc"}, "pixel_budget must be a whole number from 256 to 2088960, got 'abc'"),
        ({"pixel_budget": 10**13}, "pixel_budget must be a whole number from 256 to 2088960, got 10000000000000"),
        ({"pixel_budget": -1}, "pixel_budget must be a whole number from 256 to 2088960, got -1"),
        ({"pixel_budget": 36864.5}, "pixel_budget must be a whole number"),
        ({"pixel_budget": True}, "pixel_budget must be a whole number"),
        ({"name": ""}, "name must be a non-empty text"),
        ({"weights_sha256": "abc"}, "weights_sha256 must be 64 lowercase hexadecimal digits"),
        ({"onnx_file": "../../elsewhere.onnx"}, "onnx_file must be the name of a file beside the .json"),
        ({"metrics": {"val_iou": "high"}}, "metrics must map names to numbers"),
        ({"architecture": {"output_stride": 7}}, r"architecture.output_stride must be one of \(8, 16\), got 7"),
        ({"architecture": {"aspp_channels": 10**9}}, "architecture.aspp_channels must be a whole number from 1 to"),
        ({"architecture": "deeplab"}, "architecture must be a JSON object"),
    ],
)
def test_spec_fields_are_checked_with_a_message_naming_the_field_and_its_range(
    tmp_path: Path, fields: dict, message: str
) -> None:
    """``"abc"`` was a TypeError traceback, ``10**13`` an attempt to allocate 30 TB, ``-1`` "math domain error"."""
    spec_path = _spec_with(tmp_path, **fields)
    with pytest.raises(WeightsError, match=message) as error:
        load_spec(spec_path)
    assert str(spec_path) in str(error.value)


def test_fields_earlier_specs_wrote_and_nothing_read_are_skipped(tmp_path: Path) -> None:
    spec = load_spec(_spec_with(tmp_path, mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5], dtype="float16"))
    assert not hasattr(spec, "mean") and spec.name == "faulty-brightness"


def test_a_spec_that_is_not_an_object_or_is_huge_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "listed.json"
    listed.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(WeightsError, match="expected a JSON object of fields, got list"):
        load_spec(listed)
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"name": "x" * 2_000_000}), encoding="utf-8")
    with pytest.raises(WeightsError, match="a model description is at most"):
        load_spec(huge)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(WeightsError, match="not a valid Greenroom model spec"):
        load_spec(nested)


def test_a_spec_name_too_long_for_the_file_system_is_one_message(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="cannot be read"):
        load_spec(tmp_path / ("a" * 300 + ".json"))
