"""The MediaPipe selfie segmenter, run through ``ai-edge-litert``: our distillation teacher and the peer to beat.

Used by training (soft labels), evaluation and benchmarks only; the app never loads it. Needs the ``train`` extra.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

SQUARE_MODEL = "selfie_segmentation_256x256.tflite"
LANDSCAPE_MODEL = "selfie_segmentation_landscape_144x256.tflite"
_LANDSCAPE_MIN_ASPECT = 1.4


class MediaPipeSelfie:
    """Callable teacher: ``(H, W, 3) uint8 RGB -> (H, W) float32 person probability in [0, 1]``.

    Frames at least 1.4x wider than tall use the 256x144 landscape model, others the 256x256 model; the frame is
    resized (stretched) to the model input as MediaPipe does, and the output bilinearly resized back.
    """

    def __init__(self, models_dir: Path, *, num_threads: int = 2, force: str | None = None) -> None:
        self._interpreters = {}
        for name in (SQUARE_MODEL, LANDSCAPE_MODEL):
            path = Path(models_dir) / name
            if not path.is_file():
                raise FileNotFoundError(f"MediaPipe selfie model not found: {path}")
            self._interpreters[name] = load_interpreter(path, num_threads=num_threads)
        self._force = force

    def model_for(self, width: int, height: int) -> str:
        if self._force is not None:
            return self._force
        return LANDSCAPE_MODEL if width / height >= _LANDSCAPE_MIN_ASPECT else SQUARE_MODEL

    def low_res(self, rgb: np.ndarray) -> np.ndarray:
        """Probability at the model's own input size, (h, w) float32 in [0, 1]."""
        interpreter = self._interpreters[self.model_for(rgb.shape[1], rgb.shape[0])]
        input_detail = interpreter.get_input_details()[0]
        _, height, width, _ = input_detail["shape"]
        resized = cv2.resize(rgb, (int(width), int(height)), interpolation=cv2.INTER_AREA)
        interpreter.set_tensor(input_detail["index"], (resized.astype(np.float32) / 255.0)[None])
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0].copy()

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        low = self.low_res(rgb)
        full = cv2.resize(low, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
        return np.clip(full, 0.0, 1.0)


def load_interpreter(path: Path, *, num_threads: int):
    """A TensorFlow Lite interpreter for the model at ``path``, its tensors allocated, without the runtime's
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." line, which it writes to the process's stderr where
    no logging setting reaches it."""
    from ai_edge_litert.interpreter import Interpreter

    with _native_stderr_silenced():
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        interpreter.allocate_tensors()
    return interpreter


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device while the block runs (Python exceptions still propagate)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
