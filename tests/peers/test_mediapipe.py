"""The MediaPipe teacher through ``ai-edge-litert``: loads quietly and gives a probability map of the frame's size."""

import sys
from pathlib import Path

import numpy as np
import pytest

from segmentation.peers.mediapipe import MediaPipeSelfie


def test_the_teacher_loads_without_the_runtime_info_line(data_root: Path, capfd) -> None:
    pytest.importorskip("ai_edge_litert")
    teacher = MediaPipeSelfie(data_root / "models", num_threads=1)
    print("our own line", file=sys.stderr)
    probability = teacher(np.zeros((90, 160, 3), np.uint8))
    err = capfd.readouterr().err
    assert "XNNPACK" not in err and err == "our own line\n"  # file descriptor 2 is back once it has loaded
    assert probability.shape == (90, 160) and probability.dtype == np.float32
    assert float(probability.min()) >= 0.0 and float(probability.max()) <= 1.0
