"""Field checks for a model description (``NAME.json``) before it becomes a ``ModelSpec``.

A spec file is input like any other: a custom model named by ``GREENROOM_MODEL`` or ``--model`` may hold any JSON.
Each check raises ``ValueError`` naming the field, the accepted values and what came, so that the message the user
sees says what to change (a ``pixel_budget`` of ``"abc"`` or ``10**13`` would otherwise end in a ``TypeError`` or an
attempt to allocate terabytes).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

MIN_PIXEL_BUDGET = 16 * 16  # one tile of the model's 16-pixel grid
MAX_PIXEL_BUDGET = 1920 * 1088  # a full-HD input: more than any frame needs, and about 1 GB of activations
MAX_CHANNELS = 4096
OUTPUT_STRIDES = (8, 16)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ARCHITECTURE_INTS = ("aspp_channels", "decoder_channels")


def check_spec_fields(raw: object, onnx_precisions: tuple[str, ...]) -> None:
    """Raise ``ValueError`` for the first field of the parsed JSON ``raw`` that a ``ModelSpec`` cannot hold."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a JSON object of fields, got {type(raw).__name__}")
    _text(raw, "name", allow_empty=False)
    _architecture(raw.get("architecture"))
    _file_name(raw, "weights_file", allow_empty=False)
    _sha256(raw, "weights_sha256", allow_empty=False)
    has_onnx = bool(_file_name(raw, "onnx_file", allow_empty=True))
    _sha256(raw, "onnx_sha256", allow_empty=not has_onnx)
    has_refiner = bool(_file_name(raw, "refiner_file", allow_empty=True))
    _sha256(raw, "refiner_sha256", allow_empty=not has_refiner)
    if "pixel_budget" in raw:
        _whole_number(raw["pixel_budget"], "pixel_budget", MIN_PIXEL_BUDGET, MAX_PIXEL_BUDGET)
    if "onnx_precision" in raw and raw["onnx_precision"] not in onnx_precisions:
        raise ValueError(f"onnx_precision {raw['onnx_precision']!r} is not one of {onnx_precisions}")
    _metrics(raw.get("metrics", {}))


def _text(raw: Mapping[str, Any], name: str, *, allow_empty: bool) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ValueError(f"{name} must be a non-empty text, got {value!r}")
    return value


def _file_name(raw: Mapping[str, Any], name: str, *, allow_empty: bool) -> str:
    """A plain file name beside the spec: no folders (``/``, ``\\``) and not ``.`` or ``..``."""
    value = _text(raw, name, allow_empty=True)
    if not value and allow_empty:
        return value
    if not value or value in (".", "..") or any(separator in value for separator in "/\\:"):
        raise ValueError(f"{name} must be the name of a file beside the .json (no folders), got {value!r}")
    return value


def _sha256(raw: Mapping[str, Any], name: str, *, allow_empty: bool) -> None:
    value = raw.get(name, "")
    if allow_empty and value == "":
        return
    if not isinstance(value, str) or not _SHA256.match(value):
        raise ValueError(f"{name} must be 64 lowercase hexadecimal digits (a SHA-256), got {value!r}")


def _whole_number(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value}")
    return value


def _architecture(value: object) -> None:
    if not isinstance(value, Mapping):
        raise ValueError(f"architecture must be a JSON object, got {value!r}")
    if "backbone" in value and (not isinstance(value["backbone"], str) or not value["backbone"]):
        raise ValueError(f"architecture.backbone must be a backbone's name, got {value['backbone']!r}")
    stride = value.get("output_stride", OUTPUT_STRIDES[-1])
    if isinstance(stride, bool) or not isinstance(stride, int) or stride not in OUTPUT_STRIDES:
        raise ValueError(f"architecture.output_stride must be one of {OUTPUT_STRIDES}, got {value['output_stride']!r}")
    for name in _ARCHITECTURE_INTS:
        if name in value:
            _whole_number(value[name], f"architecture.{name}", 1, MAX_CHANNELS)


def _metrics(value: object) -> None:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and _is_number(number) for key, number in value.items()
    ):
        raise ValueError(f"metrics must map names to numbers, got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
