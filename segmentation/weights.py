"""Weights description (``ModelSpec``), saving and safe, checksummed loading.

A shipped model is three files side by side in ``assets/models/``:
- ``NAME.json``: the ``ModelSpec`` (architecture, input sizing, normalisation, file names, SHA-256s, metrics);
- ``NAME.safetensors``: the parameters and BatchNorm buffers in float16 (no pickle involved in loading);
- ``NAME.onnx``: the same network exported for ONNX Runtime (float32 input in [0, 1], logits out), in float32 or
  with statically quantised int8 parts (``ModelSpec.onnx_precision``);
- optionally ``NAME-edges.safetensors``: the edge refiner that upsamples the model's mask to the frame's size.

Loading verifies the SHA-256 before parsing and matches keys strictly. Every failure raises ``WeightsError`` with a
message that names the file and says what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from segmentation.architecture import ArchitectureConfig
from segmentation.inference.choices import ONNX_PRECISIONS as ONNX_PRECISION_CHOICES
from segmentation.spec_fields import check_spec_fields


def _assets_models_dir() -> Path:
    """``assets/models`` beside the packages, or inside a PyInstaller bundle (``sys._MEIPASS``)."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    return (Path(bundle_root) if bundle_root else Path(__file__).resolve().parents[1]) / "assets" / "models"


ASSETS_MODELS_DIR = _assets_models_dir()
DEFAULT_MODEL_NAME = "greenroom-person-v6"
LEGACY_SPEC_FIELDS = ("mean", "std", "dtype")  # earlier specs wrote these; nothing read them; they are skipped
_MAX_SPEC_BYTES = 1 << 20  # a description is a few hundred bytes; this bounds what a wrong file makes us read
_REINSTALL_HINT = "reinstall Greenroom, or re-create the file with `python -m segmentation.export`"


ONNX_PRECISIONS = tuple(precision.value for precision in ONNX_PRECISION_CHOICES)
"""What ``NAME.onnx`` computes in, as text: all float32; all convolutions int8 (static, calibrated); or the
backbone's stages past stride 4 in int8, with its stem and stride-4 stages, ASPP, decoder and head in float32."""


class WeightsError(RuntimeError):
    """A weights or spec file is missing, truncated, corrupt or does not belong to the architecture."""


@dataclass(frozen=True)
class ModelSpec:
    """What a weights file is and how to feed it.

    The network normalises its own input (with its backbone's values in the registry), so a spec holds no
    normalisation; ``pixel_budget`` is the default number of input pixels (256 * 144 = a 256x144 input for 16:9 frames
    where a spec names none; the shipped model's is 288 * 160).
    ``metrics`` holds the measured numbers quoted in the model card (for example ``{"val_iou": 0.93}``).
    ``onnx_precision`` is one of ``ONNX_PRECISIONS``; the safetensors weights (torch backends) are always float16.
    ``refiner_file`` names the edge refiner's weights (``inference.edge_refiner``), float32 safetensors learnt for
    this model's masks; a spec without one upsamples with the classic guided filter.
    """

    name: str
    architecture: ArchitectureConfig
    weights_file: str
    weights_sha256: str
    onnx_file: str = ""
    onnx_sha256: str = ""
    pixel_budget: int = 256 * 144
    onnx_precision: str = "float32"
    metrics: dict[str, float] = field(default_factory=dict)
    refiner_file: str = ""
    refiner_sha256: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json_file(cls, path: Path) -> ModelSpec:
        """Parse a spec file; raises ``WeightsError`` if it is missing, unreadable or malformed (the message names
        the field, its accepted values and what came)."""
        hint = _REINSTALL_HINT if path.parent == ASSETS_MODELS_DIR else "check the path of the model's .json file"
        try:
            if path.exists() and not path.is_file():
                raise WeightsError(f"{path} is not a file (a folder, a device or a pipe); give the model's .json file")
            if not path.is_file():
                raise WeightsError(f"model description not found: {path}; {hint}")
            if path.suffix.lower() != ".json":
                raise WeightsError(f"{path} is not a model description (a .json file); give the model's .json file")
            if path.stat().st_size > _MAX_SPEC_BYTES:
                raise ValueError(f"it is {path.stat().st_size} bytes; a model description is at most {_MAX_SPEC_BYTES}")
            raw = json.loads(path.read_text(encoding="utf-8"), parse_int=_bounded_int)
            check_spec_fields(raw, ONNX_PRECISIONS)
            raw["architecture"] = ArchitectureConfig(**raw["architecture"])
            for written_never_read in LEGACY_SPEC_FIELDS:
                raw.pop(written_never_read, None)
            return cls(**raw)
        except OSError as error:  # a name too long for the file system, no permission to read, ...
            raise WeightsError(f"model description {path} cannot be read ({error.strerror or error}); {hint}") from None
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise WeightsError(
                f"model description {path} is not a valid Greenroom model spec ({error}); {_REINSTALL_HINT}"
            ) from None


def _bounded_int(text: str) -> int:
    """``json``'s integer parser with a bound: Python refuses ints of over 4300 digits with a message about
    ``sys.set_int_max_str_digits``, which says nothing to a user."""
    if len(text) > 30:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_file(path: Path, expected_sha256: str, what: str) -> Path:
    """Return ``path`` after checking it exists and matches ``expected_sha256``; else ``WeightsError``."""
    try:
        if not path.is_file():
            raise WeightsError(f"{what} not found: {path}; {_REINSTALL_HINT}")
        actual = sha256_of(path)
    except OSError as error:
        raise WeightsError(f"{what} {path} cannot be read ({error.strerror or error}); {_REINSTALL_HINT}") from None
    if actual != expected_sha256:
        raise WeightsError(
            f"{what} {path} is damaged or is not the file its model description names "
            f"(SHA-256 {actual[:12]}..., expected {expected_sha256[:12]}...); {_REINSTALL_HINT}"
        )
    return path


def spec_path_for(name: str = DEFAULT_MODEL_NAME, directory: Path = ASSETS_MODELS_DIR) -> Path:
    return directory / f"{name}.json"


MODEL_ENVIRONMENT_VARIABLE = "GREENROOM_MODEL"


def default_spec_path() -> Path:
    """``$GREENROOM_MODEL`` (a spec .json) if set, else the shipped model's spec."""
    override = os.environ.get(MODEL_ENVIRONMENT_VARIABLE)
    return Path(override) if override else spec_path_for()


def load_spec(spec_path: Path | None = None) -> ModelSpec:
    """The spec at ``spec_path`` (default: ``default_spec_path()``)."""
    return ModelSpec.from_json_file(spec_path or default_spec_path())


def load_state_dict(spec: ModelSpec, directory: Path):
    """Verified float16 tensors of ``spec`` as a dict (torch tensors); ``WeightsError`` on any problem."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = verified_file(directory / spec.weights_file, spec.weights_sha256, "model weights")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"model weights {path} cannot be read as safetensors ({error}); {_REINSTALL_HINT}") from None


def build_model_from_spec(spec: ModelSpec, directory: Path):
    """A float32 ``DeepLabV3Plus`` in eval mode with the verified weights loaded strictly."""
    from segmentation.model import DeepLabV3Plus

    model = DeepLabV3Plus(spec.architecture)
    state = load_state_dict(spec, directory)
    own_state = model.state_dict()
    # BatchNorm step counters (integers) are not stored: they do not affect inference.
    expected = {key for key, value in own_state.items() if value.is_floating_point()}
    missing, unexpected = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unexpected:
        raise WeightsError(
            f"model weights {directory / spec.weights_file} do not fit architecture {spec.architecture} "
            f"({len(missing)} missing keys such as {missing[:2]}, {len(unexpected)} unexpected such as "
            f"{unexpected[:2]}); {_REINSTALL_HINT}"
        )
    try:
        merged = {key: value for key, value in own_state.items() if key not in expected}
        merged.update({key: value.float() for key, value in state.items()})
        model.load_state_dict(merged, strict=True)
    except RuntimeError as error:  # shape mismatches
        first_line = str(error).splitlines()[1].strip() if "\n" in str(error) else str(error)
        raise WeightsError(
            f"model weights {directory / spec.weights_file} have the wrong tensor shapes "
            f"({first_line}); {_REINSTALL_HINT}"
        ) from None
    return model.eval()


def save_weights(model, spec_template: ModelSpec, directory: Path) -> ModelSpec:
    """Write ``model``'s state as float16 safetensors plus its spec; returns the spec with the real SHA-256.

    ``spec_template`` supplies name, architecture and metrics; file name and checksum are filled in here.
    """
    from dataclasses import replace

    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    weights_file = f"{spec_template.name}.safetensors"
    state = {
        key: value.detach().to("cpu").half().contiguous()
        for key, value in model.state_dict().items()
        if value.is_floating_point()
    }
    save_file(state, str(directory / weights_file), metadata={"name": spec_template.name, "dtype": "float16"})
    (directory / weights_file).chmod(0o644)  # safetensors writes it owner-only (0600); model files are for all
    spec = replace(spec_template, weights_file=weights_file, weights_sha256=sha256_of(directory / weights_file))
    (directory / f"{spec.name}.json").write_text(spec.to_json() + "\n", encoding="utf-8")
    return spec


def write_spec(spec: ModelSpec, directory: Path) -> None:
    (directory / f"{spec.name}.json").write_text(spec.to_json() + "\n", encoding="utf-8")
