"""The MediaPipe selfie segmenter, run through ``ai-edge-litert``: our distillation teacher and the peer to beat.

Used by training (soft labels), evaluation and benchmarks only; the app never loads it. Needs the ``train`` extra.
"""

from __future__ import annotations

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
        from ai_edge_litert.interpreter import Interpreter

        self._interpreters = {}
        for name in (SQUARE_MODEL, LANDSCAPE_MODEL):
            path = Path(models_dir) / name
            if not path.is_file():
                raise FileNotFoundError(f"MediaPipe selfie model not found: {path}")
            interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
            self._interpreters[name] = interpreter
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
