"""The VOC DeepLabv3 initialisation reproduces the TFLite model's own intermediate tensors on a real photo."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from segmentation.model import build_deeplabv3plus
from segmentation.training.voc_init import VOC_PERSON_CLASS, VOC_TFLITE_NAME, load_voc_deeplabv3

pytestmark = pytest.mark.usefixtures("single_torch_thread")
SIDE = 257  # the file's input size; odd sizes make TFLite's SAME padding symmetric, as torch pads


@pytest.fixture(scope="module")
def models_dir(data_root: Path) -> Path:
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (train extra) reads the TFLite file")
    if not (data_root / "models" / VOC_TFLITE_NAME).is_file():
        pytest.skip(f"{VOC_TFLITE_NAME} is not in the data folder")
    return data_root / "models"


@pytest.fixture(scope="module")
def photo(real_photos) -> np.ndarray:
    """(257, 257, 3) uint8 RGB."""
    return cv2.resize(real_photos[0], (SIDE, SIDE), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def tflite_tensors(models_dir: Path, photo: np.ndarray) -> dict[str, torch.Tensor]:
    """Every tensor of the TFLite model after running ``photo`` (activations NHWC -> NCHW)."""
    from ai_edge_litert.interpreter import Interpreter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = Interpreter(model_path=str(models_dir / VOC_TFLITE_NAME), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], (photo.astype(np.float32) / 127.5 - 1)[None])
    interpreter.invoke()
    tensors = {}
    for detail in interpreter.get_tensor_details():
        value = torch.from_numpy(np.array(interpreter.get_tensor(detail["index"])))
        tensors[detail["name"]] = value.permute(0, 3, 1, 2) if value.ndim == 4 and value.shape[0] == 1 else value
    return tensors


@pytest.fixture(scope="module")
def exact_model(models_dir: Path, real_photos):
    """Output stride 8 like the file, 256 ASPP channels so the ASPP maps, no symmetry noise."""
    model = build_deeplabv3plus(backbone="mobilenet_v2", output_stride=8, aspp_channels=256)
    loaded = load_voc_deeplabv3(model, models_dir, calibration_images=real_photos, symmetry_noise=0.0)
    return model.eval(), loaded


def _input(model, photo: np.ndarray) -> torch.Tensor:
    """The normalised tensor the backbone sees (the model normalises [0, 1] input with mean/std 0.5)."""
    rgb = torch.from_numpy(photo).permute(2, 0, 1)[None].float() / 255.0
    return (rgb - model.mean) / model.std


def _repeated(activation: torch.Tensor, channels: int) -> torch.Tensor:
    """The file's activation with channel ``j`` at ``j % c``, as the widened network computes it."""
    return activation[:, torch.arange(channels) % activation.shape[1]]


def test_all_mapped_tensors_are_counted(exact_model) -> None:
    _, loaded = exact_model
    assert loaded == 2 + 4 + 16 * 6 + 6  # stem, first block, 16 expanding blocks, ASPP 1x1 + pooling + projection


def test_backbone_reproduces_the_file_features(exact_model, photo, tflite_tensors) -> None:
    model, _ = exact_model
    with torch.no_grad():
        low, high = model.backbone(_input(model, photo))
    expected_low = _repeated(tflite_tensors["MobilenetV2/expanded_conv_2/add"], 24)
    expected_high = _repeated(tflite_tensors["MobilenetV2/expanded_conv_16/project/BatchNorm/FusedBatchNorm"], 320)
    assert low.shape == expected_low.shape == (1, 24, 65, 65)
    assert high.shape == expected_high.shape == (1, 320, 33, 33)
    torch.testing.assert_close(low, expected_low, atol=1e-3, rtol=1e-4)
    torch.testing.assert_close(high, expected_high, atol=2e-3, rtol=1e-4)
    assert float(expected_high.abs().max()) > 1.0  # real, non-trivial features


def test_aspp_reproduces_the_file_person_logits(exact_model, photo, tflite_tensors) -> None:
    """Our ASPP plus the file's classifier row for person gives the file's person logit (ReLU6 vs ReLU aside)."""
    model, _ = exact_model
    with torch.no_grad():
        aspp = model.aspp(model.backbone(_input(model, photo))[1])
    expected = tflite_tensors["concat_projection/Relu"]
    difference = (aspp - expected).abs()
    assert float(difference.max()) < 0.2  # where the file's ReLU lets values pass 6
    assert float((difference > 1e-3).float().mean()) < 0.01
    person_row = slice(VOC_PERSON_CLASS, VOC_PERSON_CLASS + 1)
    weight = tflite_tensors["logits/semantic/weights"][person_row].reshape(1, -1, 1, 1)  # from (21, 1, 1, 256) OHWI
    person = F.conv2d(aspp, weight, tflite_tensors["logits/semantic/Conv2D_bias"][person_row])
    expected_person = tflite_tensors["logits/semantic/BiasAdd"][:, person_row]
    assert float(expected_person.std()) > 1.0
    assert float((person - expected_person).abs().max()) < 0.05 * float(expected_person.std())


def test_calibrated_batch_norms_behave_alike_in_train_and_eval_mode(models_dir, real_photos) -> None:
    """Calibrated on exactly the batch it then sees, train mode (batch statistics) equals eval mode."""
    photos = [cv2.resize(photo, (256, 144), interpolation=cv2.INTER_AREA) for photo in real_photos]
    model = build_deeplabv3plus(backbone="mobilenet_v2")
    load_voc_deeplabv3(model, models_dir, calibration_images=photos, symmetry_noise=0.0)
    batch = torch.from_numpy(np.stack(photos)).permute(0, 3, 1, 2).float() / 255.0
    with torch.no_grad():
        x = (batch - model.mean) / model.std
        eval_features = model.eval().backbone(x)[1]
        train_features = model.train().backbone(x)[1]
    torch.testing.assert_close(train_features, eval_features, atol=2e-3, rtol=1e-3)

    uncalibrated = build_deeplabv3plus(backbone="mobilenet_v2")
    load_voc_deeplabv3(uncalibrated, models_dir, calibration_images=(), symmetry_noise=0.0)
    with torch.no_grad():
        eval_plain = uncalibrated.eval().backbone(x)[1]
        train_plain = uncalibrated.train().backbone(x)[1]
    torch.testing.assert_close(eval_plain, eval_features, atol=2e-3, rtol=1e-3)  # same function in eval mode
    assert float((train_plain - eval_plain).norm() / eval_plain.norm()) > 0.5  # identity BN breaks in train mode


def test_symmetry_noise_separates_the_copies_but_keeps_the_features(exact_model, models_dir, photo) -> None:
    exact, _ = exact_model
    noisy = build_deeplabv3plus(backbone="mobilenet_v2", output_stride=8, aspp_channels=256)
    load_voc_deeplabv3(noisy, models_dir, calibration_images=(), symmetry_noise=1e-3)
    with torch.no_grad():
        expected = exact.backbone(_input(exact, photo))[1]
        actual = noisy.eval().backbone(_input(noisy, photo))[1]
    assert not torch.equal(actual[:, :160], actual[:, 160:])
    torch.testing.assert_close(expected[:, :160], expected[:, 160:])
    assert float((actual - expected).norm() / expected.norm()) < 0.03


def test_aspp_of_another_width_is_left_alone(models_dir) -> None:
    torch.manual_seed(0)
    model = build_deeplabv3plus(backbone="mobilenet_v2")  # aspp_channels 128: the file's 256 do not fit
    aspp_before = {key: value.clone() for key, value in model.aspp.state_dict().items()}
    assert load_voc_deeplabv3(model, models_dir, calibration_images=()) == 2 + 4 + 16 * 6
    for key, value in model.aspp.state_dict().items():
        assert torch.equal(value, aspp_before[key])


def test_other_backbones_and_missing_files_are_refused(models_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match="mobilenet_v2 backbone only"):
        load_voc_deeplabv3(build_deeplabv3plus(backbone="efficientnet_lite0"), models_dir)
    with pytest.raises(FileNotFoundError, match=VOC_TFLITE_NAME):
        load_voc_deeplabv3(build_deeplabv3plus(backbone="mobilenet_v2"), tmp_path)


def test_trainer_voc_init_calibrates_on_the_data_folder(data_root, models_dir) -> None:
    from segmentation.training.config import TrainConfig
    from segmentation.training.trainer import build_model

    model = build_model(TrainConfig(backbone="mobilenet_v2", init="voc", data_root=data_root))
    stem_norm = model.backbone.stem[1]
    assert float(stem_norm.running_var.min()) > 0.0
    assert not torch.allclose(stem_norm.running_var, torch.ones_like(stem_norm.running_var))
