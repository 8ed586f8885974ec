"""The edge refiner: numpy and torch compute the same coefficients, weights are checked before use, and the shipped
refiner's alpha has less glow than the classic guided filter's on held-out photos without worse edges."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from segmentation.inference import load_segmenter
from segmentation.inference.edge_refiner import (
    FEATURE_COUNT,
    ClassicGuidedFilter,
    LearntEdgeRefiner,
    apply_coefficients,
    check_refiner_tensors,
    probe_edges,
    to_grey,
)
from segmentation.inference.loading import load_edges
from segmentation.metrics import boundary_f_score, outside_glow
from segmentation.weights import WeightsError, load_spec, sha256_of, spec_path_for

pytestmark = pytest.mark.usefixtures("single_torch_thread")


def _scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A (144, 256, 3) uint8 picture of a figure on a textured room, and the figure's blurred (144, 256) mask."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 120, (144, 256, 3), dtype=np.uint8)
    figure = np.zeros((144, 256), np.uint8)
    cv2.ellipse(figure, (120, 150), (50, 80), 0, 0, 360, 1, -1)
    small[figure > 0] = (210, 170, 150)
    mask = cv2.GaussianBlur(figure.astype(np.float32), (0, 0), 2.5)
    return small, np.clip(mask + rng.normal(0, 0.02, mask.shape).astype(np.float32), 0, 1)


def _random_tensors(seed: int, hidden: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {
        "feature_mean": (FEATURE_COUNT,),
        "feature_std": (FEATURE_COUNT,),
        "layer0.weight": (hidden, FEATURE_COUNT),
        "layer0.bias": (hidden,),
        "layer1.weight": (hidden, hidden),
        "layer1.bias": (hidden,),
        "layer2.weight": (2, hidden),
        "layer2.bias": (2,),
    }
    tensors = {name: rng.normal(0, 0.3, shape).astype(np.float32) for name, shape in shapes.items()}
    tensors["feature_std"] = np.abs(tensors["feature_std"]) + 0.5
    return tensors


def test_an_untrained_torch_refiner_is_the_classic_guided_filter() -> None:
    torch = pytest.importorskip("torch")
    from segmentation.training.edge_refiner import EdgeRefinerNet

    small, mask = _scene()
    net = EdgeRefinerNet()
    grey = torch.from_numpy(to_grey(small).astype(np.float32) / 255)[None, None]
    with torch.no_grad():
        slope, level = net.coefficients(torch.from_numpy(mask)[None, None], grey)
    classic_slope, classic_level = ClassicGuidedFilter()(mask, to_grey(small))
    np.testing.assert_allclose(slope[0, 0].numpy(), classic_slope, atol=2e-4)
    np.testing.assert_allclose(level[0, 0].numpy(), classic_level, atol=2e-4)


def test_exported_torch_refiner_and_numpy_refiner_agree(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from segmentation.training.edge_refiner import EdgeRefinerNet, export

    torch.manual_seed(3)
    net = EdgeRefinerNet(hidden=8)
    for layer in (net.layer0, net.layer1, net.layer2):
        torch.nn.init.normal_(layer.weight, 0, 0.2)
        torch.nn.init.normal_(layer.bias, 0, 0.1)
    with torch.no_grad():
        net.layer2.bias.copy_(torch.tensor([0.0, 0.2]))  # a level raised by 0.2, so the alpha must differ
    net.feature_mean.normal_(0, 0.1)
    net.feature_std.uniform_(0.5, 2.0)
    export(net, tmp_path / "edges.safetensors")
    refiner = LearntEdgeRefiner.from_file(tmp_path / "edges.safetensors")
    small, mask = _scene(1)
    frame = cv2.resize(small, (640, 360), interpolation=cv2.INTER_LINEAR)
    grey = torch.from_numpy(to_grey(small).astype(np.float32) / 255)[None, None]
    frame_t = torch.from_numpy(to_grey(frame).astype(np.float32) / 255)[None, None]
    with torch.no_grad():
        expected = net(torch.from_numpy(mask)[None, None], grey, frame_t)[0, 0].clamp(0, 1).numpy()
    slope, level = refiner(mask, to_grey(small))
    ours = apply_coefficients(slope, level, to_grey(frame))
    assert float(np.abs(ours - expected).max()) < 1e-3
    classic = apply_coefficients(*ClassicGuidedFilter()(mask, to_grey(small)), to_grey(frame))
    assert float(np.abs(ours - classic).max()) > 0.05


def test_refiner_tensors_are_checked() -> None:
    good = _random_tensors(0)
    check_refiner_tensors(good)
    missing = {name: value for name, value in good.items() if name != "layer1.bias"}
    with pytest.raises(ValueError, match="expected the tensors"):
        LearntEdgeRefiner(missing)
    with pytest.raises(ValueError, match=r"layer0.weight has shape"):
        LearntEdgeRefiner({**good, "layer0.weight": good["layer0.weight"][:, :-1]})
    with pytest.raises(ValueError, match="NaN"):
        LearntEdgeRefiner({**good, "layer2.bias": np.array([np.nan, 0.0], np.float32)})
    with pytest.raises(ValueError, match="positive"):
        LearntEdgeRefiner({**good, "feature_std": np.zeros(FEATURE_COUNT, np.float32)})


def test_coefficients_and_alpha_shapes_and_range() -> None:
    small, mask = _scene(2)
    refiner = LearntEdgeRefiner(_random_tensors(2))
    slope, level = refiner(mask, to_grey(small))
    assert slope.shape == level.shape == mask.shape and slope.dtype == level.dtype == np.float32
    frame = cv2.resize(small, (1280, 720))
    alpha = apply_coefficients(slope, level, to_grey(frame))
    assert alpha.shape == (720, 1280) and alpha.dtype == np.float32
    assert float(alpha.min()) >= 0.0 and float(alpha.max()) <= 1.0


def test_the_probe_accepts_the_classic_filter_and_refuses_one_that_marks_the_room() -> None:
    assert probe_edges(ClassicGuidedFilter()) == ""
    everything = _random_tensors(4)
    everything["layer2.weight"][:] = 0.0
    everything["layer2.bias"][:] = (0.0, 2.0)  # the level raised by 2: the whole picture becomes person
    assert "sure pixels" in probe_edges(LearntEdgeRefiner(everything))


def _spec_copy(tmp_path: Path, **changes: object) -> Path:
    """A copy of the shipped spec and its files in ``tmp_path``, with ``changes`` to its fields."""
    source = spec_path_for()
    spec = json.loads(source.read_text())
    for name in ("weights_file", "onnx_file", "refiner_file"):
        if spec.get(name):
            shutil.copy(source.parent / spec[name], tmp_path / spec[name])
    spec.update(changes)
    path = tmp_path / source.name
    path.write_text(json.dumps(spec))
    return path


def test_the_shipped_spec_loads_a_learnt_refiner() -> None:
    spec = load_spec(spec_path_for())
    assert spec.refiner_file, "the shipped model names its edge refiner"
    assert isinstance(load_edges(spec, spec_path_for().parent), LearntEdgeRefiner)
    assert isinstance(load_segmenter("cpu", "onnxruntime", threads=1).edges, LearntEdgeRefiner)


def test_a_damaged_or_foreign_refiner_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    spec_path = _spec_copy(tmp_path)
    refiner_path = tmp_path / load_spec(spec_path).refiner_file
    refiner_path.write_bytes(refiner_path.read_bytes()[:100])
    with pytest.raises(WeightsError, match=r"edge refiner .* is damaged"):
        load_edges(load_spec(spec_path), tmp_path)
    refiner_path.write_bytes(b"not safetensors at all")
    spec = json.loads(spec_path.read_text())
    spec["refiner_sha256"] = sha256_of(refiner_path)  # a file that matches its checksum but is no refiner
    spec_path.write_text(json.dumps(spec))
    with pytest.raises(WeightsError, match=r"edge refiner .* is not usable"):
        load_edges(load_spec(spec_path), tmp_path)


def test_a_refiner_that_fails_the_probe_is_refused(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    everything = _random_tensors(5)
    everything["layer2.weight"][:] = 0.0
    everything["layer2.bias"][:] = (0.0, 2.0)
    save_file(everything, str(tmp_path / "marks-everything.safetensors"))
    spec_path = _spec_copy(
        tmp_path,
        refiner_file="marks-everything.safetensors",
        refiner_sha256=sha256_of(tmp_path / "marks-everything.safetensors"),
    )
    with pytest.raises(WeightsError, match="fails its check on a probe picture"):
        load_segmenter("cpu", "onnxruntime", spec_path=spec_path, threads=1)


def test_a_spec_without_a_refiner_uses_the_classic_filter(tmp_path: Path) -> None:
    spec_path = _spec_copy(tmp_path, refiner_file="", refiner_sha256="")
    assert isinstance(load_segmenter("cpu", "onnxruntime", spec_path=spec_path, threads=1).edges, ClassicGuidedFilter)


def test_the_shipped_refiner_glows_less_than_the_classic_filter_on_held_out_photos(data_root: Path) -> None:
    """On the 54 held-out photos at the app's default input, ``seg(rgb)`` (the learnt refiner) must glow less than
    the classic guided filter and bilinear upsampling, with boundary F no lower than either."""
    from segmentation.training.config import TrainConfig
    from segmentation.training.sources import load_held_out

    photos = data_root / "people" / "web_photos"
    items = load_held_out(photos / "images", photos / "masks", TrainConfig.val_fraction)
    seg = load_segmenter("cpu", "onnxruntime", threads=1)
    scores: dict[str, list[tuple[float, float]]] = {"learnt": [], "classic": [], "bilinear": []}
    for item in items:
        low = seg.infer(item.rgb)
        height, width = item.rgb.shape[:2]
        alphas = {
            "learnt": seg(item.rgb),
            "classic": apply_coefficients(*ClassicGuidedFilter()(low.mask, to_grey(low.small)), to_grey(item.rgb)),
            "bilinear": np.clip(cv2.resize(low.mask, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1),
        }
        for name, alpha in alphas.items():
            scores[name].append((outside_glow(alpha, item.mask), boundary_f_score(alpha, item.mask)))
    glow = {name: float(np.nanmean([s[0] for s in values])) for name, values in scores.items()}
    edges = {name: float(np.mean([s[1] for s in values])) for name, values in scores.items()}
    assert glow["learnt"] < 0.8 * min(glow["classic"], glow["bilinear"])
    assert edges["learnt"] >= max(edges["classic"], edges["bilinear"])


def test_a_learnt_refiner_keeps_numpys_blas_to_one_thread() -> None:
    """BLAS threads spin on the cores after the refiner's small products and slow the model's next run."""
    code = (
        "from threadpoolctl import threadpool_info, threadpool_limits\n"
        "threadpool_limits(limits=2, user_api='blas')\n"
        "from segmentation.inference.edge_refiner import LearntEdgeRefiner\n"
        "from segmentation.weights import load_spec, spec_path_for\n"
        "LearntEdgeRefiner.from_file(spec_path_for().parent / load_spec().refiner_file)\n"
        "print(sorted({pool['num_threads'] for pool in threadpool_info() if pool['user_api'] == 'blas'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[1]"


def test_a_refiner_wider_than_any_of_ours_is_refused() -> None:
    """A foreign file with huge hidden layers would cost every frame its time: refused before any product runs."""
    with pytest.raises(ValueError, match="hidden layers must be 1 to"):
        LearntEdgeRefiner(_random_tensors(6, hidden=1024))


def test_a_refiner_file_too_large_to_be_ours_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    from segmentation.inference.edge_refiner import MAX_REFINER_BYTES

    tensors = _random_tensors(7)
    tensors["padding"] = np.zeros(MAX_REFINER_BYTES // 4 + 1, np.float32)  # valid safetensors, over the bound
    save_file(tensors, str(tmp_path / "huge.safetensors"))
    with pytest.raises(ValueError, match=r"bytes, and an edge refiner is at most"):
        LearntEdgeRefiner.from_file(tmp_path / "huge.safetensors")
    assert MAX_REFINER_BYTES > 4 * (13 * 256 + 256 * 256 + 2 * 256 + 3 * 256 + 2 + 2 * 13)  # the widest refiner fits
