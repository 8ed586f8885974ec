"""Robust Video Matting (Lin et al., 2021) as a soft-label teacher: recurrent over clips, a few passes on stills, and
its alpha cached on disk so that a run (or a resumed one) computes it once.

The model file (``models/rvm_mobilenetv3_512.onnx`` in the shared data folder) is GPL-3.0: it is used here, in
training and evaluation, to make labels, which are data. It is never shipped and never loaded by the app; living in
``segmentation.training``, it cannot be (the import contracts forbid the app and the runtime to import training).

Contract of the ONNX graph: ``src`` (1, H, W, 3) float32 RGB in [0, 1]; recurrent states ``r1i:0``..``r4i:0`` (the
scalar 0.0 on a clip's first frame, then the previous frame's ``r1o``..``r4o``); ``downsample_ratio:0`` a float32
scalar below 1 (``min(0.999, 512 / max(H, W))``). Output ``pha`` (1, H, W, 1) alpha in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

RVM_MODEL = "rvm_mobilenetv3_512.onnx"
STILL_PASSES = 3  # a still photo runs this many times with the states fed back: the first pass starts cold
_STATE_INPUTS = ("r1i:0", "r2i:0", "r3i:0", "r4i:0")
_STATE_OUTPUTS = ("r1o", "r2o", "r3o", "r4o")


def downsample_ratio(width: int, height: int) -> float:
    """The ratio RVM's internal resize needs: 512 pixels on the longer side, and always below 1."""
    return min(0.999, 512.0 / max(width, height))


class RobustVideoMatting:
    """RVM through ONNX Runtime on the CPU. ``clip(frames)`` yields one alpha per frame with the recurrent states
    carried forward; ``still(rgb)`` runs ``STILL_PASSES`` passes on one picture. Alphas are (H, W) float32 in [0, 1]
    for (H, W, 3) uint8 RGB frames."""

    def __init__(self, models_dir: Path, *, threads: int = 2) -> None:
        import onnxruntime as ort

        path = models_dir / RVM_MODEL
        if not path.is_file():
            raise FileNotFoundError(f"the RVM teacher is not at {path}; it is in the shared data folder's models/")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.frames_run = 0

    def clip(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Alphas of consecutive frames of one clip (one size), the states of each fed to the next."""
        states: list[np.ndarray] = [np.zeros((), np.float32)] * len(_STATE_INPUTS)
        for rgb in frames:
            alpha, states = self._step(rgb, states)
            yield alpha

    def still(self, rgb: np.ndarray, passes: int = STILL_PASSES) -> np.ndarray:
        """The alpha of one picture after ``passes`` passes with the states fed back."""
        return list(self.clip([rgb] * max(1, passes)))[-1]

    def _step(self, rgb: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        height, width = rgb.shape[:2]
        feeds = {
            "src": (rgb.astype(np.float32) * (1.0 / 255.0))[None],
            "downsample_ratio:0": np.array(downsample_ratio(width, height), np.float32),
            **dict(zip(_STATE_INPUTS, states, strict=True)),
        }
        outputs = self._session.run(["pha", *_STATE_OUTPUTS], feeds)
        self.frames_run += 1
        alpha = np.clip(outputs[0][0, :, :, 0], 0.0, 1.0).astype(np.float32)
        return alpha, list(outputs[1:])


def cached_clip_alphas(
    clip: Path,
    cache_dir: Path,
    read_frames: Callable[[Path], list[np.ndarray]],
    teacher: Callable[[], RobustVideoMatting],
    *,
    tag: str,
    keep_every: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(frames, alphas) of ``clip``: (N, H, W, 3) uint8 and (N, H, W) uint8 alpha (0-255), from
    ``cache_dir/STEM_TAG.npz`` when it is there, else computed with ``teacher()`` (made only then) over every frame
    ``read_frames(clip)`` returns, in order, and stored.

    ``tag`` names how the frames were read (for example ``every1_640``), so caches of other samplings never mix.
    The teacher runs over every frame (its states need the clip's continuity), but only every ``keep_every``-th frame
    and its alpha are kept. Alpha is stored as uint8: 1/255 steps are finer than any label needs, at a quarter of
    the space.
    """
    cache = cache_dir / f"{clip.stem}_{tag}.npz"
    if cache.is_file():
        stored = np.load(cache)
        return stored["frames"], stored["alphas"]
    frames = read_frames(clip)
    if not frames:
        raise ValueError(f"{clip} gave no frames to label")
    alphas = [np.rint(alpha * 255.0).astype(np.uint8) for alpha in teacher().clip(frames)]
    kept_frames, kept_alphas = np.stack(frames[::keep_every]), np.stack(alphas[::keep_every])
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f"{cache.stem}.partial.npz")
    np.savez_compressed(partial, frames=kept_frames, alphas=kept_alphas)
    partial.replace(cache)  # a run killed while writing leaves no cache that looks complete
    return kept_frames, kept_alphas
