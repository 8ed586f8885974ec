"""The CPU path (ONNX Runtime) works where torch cannot be imported, as in the slim app bundle."""

import subprocess
import sys
from pathlib import Path

_BLOCK_TORCH = """
import importlib.abc, sys
class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is not installed")
sys.meta_path.insert(0, _NoTorch())
"""


def _run(code: str, spec: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _BLOCK_TORCH + code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"GREENROOM_MODEL": str(spec), "PATH": "/usr/bin:/bin"},
    )


def test_segmenter_and_engine_run_without_torch(random_model_spec: Path) -> None:
    result = _run(
        "import numpy as np\n"
        "from segmentation import load_segmenter\n"
        "import app.engine, app.cli\n"
        "seg = load_segmenter()\n"
        "alpha = seg(np.zeros((360, 640, 3), np.uint8))\n"
        "print(seg.info.backend, alpha.shape, 'torch' in sys.modules)\n",
        random_model_spec,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["onnxruntime", "(360,", "640)", "False"]


def test_the_render_step_runs_without_torch(random_model_spec: Path) -> None:
    """The renderer's GPU frame ops import torch only when chosen: without torch it renders with OpenCV."""
    result = _run(
        "import numpy as np\n"
        "from segmentation import load_segmenter\n"
        "from app.engine.renderer import FrameRenderer\n"
        "from app.engine.settings import RenderSettings\n"
        "renderer = FrameRenderer(load_segmenter(), use_guard=False)\n"
        "out = renderer.render(np.zeros((360, 640, 3), np.uint8), RenderSettings())\n"
        "print(renderer.frame_ops, out.rgb.shape, out.safe_frame, 'torch' in sys.modules)\n",
        random_model_spec,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "(360,", "640,", "3)", "False", "False"]


def test_asking_for_torch_without_torch_is_a_clear_error(random_model_spec: Path) -> None:
    result = _run(
        "from segmentation import load_segmenter\n"
        "try:\n"
        "    load_segmenter(backend='torch')\n"
        "except ValueError as error:\n"
        "    print(error)\n",
        random_model_spec,
    )
    assert result.returncode == 0, result.stderr
    assert "needs PyTorch" in result.stdout and "onnxruntime" in result.stdout


def test_cuda_without_torch_names_the_extra_to_install(random_model_spec: Path) -> None:
    result = _run(
        "from segmentation import load_segmenter\n"
        "try:\n"
        "    load_segmenter(device='cuda')\n"
        "except ValueError as error:\n"
        "    print(error)\n",
        random_model_spec,
    )
    assert result.returncode == 0, result.stderr
    assert "device 'cuda' cannot be used: PyTorch is not installed" in result.stdout
    assert "pip install 'greenroom[cuda]'" in result.stdout
