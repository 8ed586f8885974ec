"""Inference backends: each turns a (N, 3, h, w) float32 RGB batch in [0, 1] into (N, 1, h, w) float32 logits.

- ``OnnxRuntimeBackend``: CPU default. Graph optimisation level ALL, a fixed intra-op thread count and spin-waiting
  off (spinning threads otherwise starve the compositing thread in the real-time pipeline).
- ``TorchBackend``: CUDA default (half precision, BatchNorm folded, channels_last, cuDNN autotuning and a CUDA graph
  for each prepared input shape) and CPU fallback in float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from segmentation.inference.choices import Backend, Device, Precision

Value = TypeVar("Value")


def recently_used(cache: dict[Hashable, Value], key: Hashable, make: Callable[[], Value], limit: int) -> Value:
    """``cache[key]``, made by ``make()`` where it is missing; the entry used longest ago is dropped when a new one
    would take the cache past ``limit`` entries (``cache`` keeps its keys from least to most recently used)."""
    if key in cache:
        cache[key] = cache.pop(key)
        return cache[key]
    while cache and len(cache) >= limit:
        del cache[next(iter(cache))]
    value = cache[key] = make()
    return value


class OnnxRuntimeBackend:
    """ONNX Runtime on the CPU.

    ``precision`` names what the graph computes in (``choices.ONNX_PRECISIONS``), as its spec states it.
    """

    name = Backend.ONNXRUNTIME
    device = Device.CPU

    def __init__(
        self, onnx_path: Path, *, threads: int | None = None, precision: Precision = Precision.FLOAT32
    ) -> None:
        import onnxruntime as ort

        self.precision = precision
        # ONNX Runtime logs its own errors in colour on stderr (two lines a frame for a model failing at run time);
        # every failure reaches the user as one of Greenroom's messages instead.
        ort.set_default_logger_severity(4)
        options = ort.SessionOptions()
        options.log_severity_level = 4
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._input_name = self._session.get_inputs()[0].name

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input_name: batch})[0]


class TorchBackend:
    """PyTorch inference on ``device`` in ``precision`` (``choices.torch_precision`` picks it: float16 on CUDA,
    float32 on the CPU; float16 on the CPU is for tests of the CUDA path's numerics).

    At construction every BatchNorm is folded into its convolution (``model.fold``). On CUDA:

    - cuDNN autotuning is scoped: ``prepare(shapes)`` autotunes the given input shapes (the adaptive ladder's, at
      load time); any other shape runs with cuDNN's heuristics, so a first frame at a new size never stalls while
      cuDNN times its algorithms;
    - with ``cuda_graph`` (the default on CUDA), each prepared shape gets a CUDA graph, captured once and replayed:
      one launch instead of about 150 per forward. At most ``MAX_GRAPHS`` are kept (each holds its own input,
      output and activation memory); unprepared shapes run eagerly. Captures are serialised by a lock;
    - inputs go up through page-locked buffers, one per input shape, the ``MAX_STAGING`` most recently used kept (the
      second look at a small person brings crops of many shapes).
    """

    name = Backend.TORCH
    MAX_GRAPHS = 12
    MAX_STAGING = 16

    def __init__(self, model, *, device: Device, precision: Precision, cuda_graph: bool = True) -> None:
        import threading

        import torch

        from segmentation.model.fold import fold_batchnorm

        if precision not in (Precision.FLOAT16, Precision.FLOAT32):
            raise ValueError(f"the torch backend runs in float16 or float32, not {precision}")
        self._torch = torch
        self.device = Device(device)
        self.precision = precision
        self._dtype = torch.float16 if precision is Precision.FLOAT16 else torch.float32
        model = model.eval()
        fold_batchnorm(model)
        self._model = model.to(device=device, dtype=self._dtype)
        self._on_cuda = self.device is Device.CUDA
        if self._on_cuda:
            self._model = self._model.to(memory_format=torch.channels_last)
        self._use_cuda_graph = cuda_graph and self._on_cuda
        self._tuned: set[tuple[int, ...]] = set()  # shapes cuDNN has autotuned
        self._graphs: dict[tuple[int, ...], tuple[Any, Any, Any]] = {}  # shape -> (CUDAGraph, input, output)
        self._capture_lock = threading.Lock()
        self._pinned: dict[Hashable, Any] = {}  # input shape -> page-locked float32 staging tensor (CUDA only)

    @property
    def graphed_shapes(self) -> list[tuple[int, ...]]:
        """Input shapes that have a CUDA graph (empty off CUDA or without ``cuda_graph``)."""
        return list(self._graphs)

    def prepare(self, shapes: Sequence[tuple[int, ...]]) -> None:
        """Get ready for batches of these (N, 3, h, w) shapes: on CUDA, autotune cuDNN for each and capture its
        graph (with ``cuda_graph``), so that their first real frames run at full speed. A no-op on the CPU."""
        if not self._on_cuda:
            return
        for shape in shapes:
            shape = tuple(shape)
            batch = self._torch.zeros(shape, dtype=self._torch.float32).numpy()
            with self._cudnn(benchmark=True), self._torch.inference_mode():
                for _ in range(3):  # cuDNN times its algorithms on the first call of a shape
                    self._model(self._to_device(batch))
            self._tuned.add(shape)
            if self._use_cuda_graph and len(self._graphs) < self.MAX_GRAPHS:
                self._graph_for(shape)
        self._torch.cuda.synchronize()

    def _cudnn(self, *, benchmark: bool):
        # TF32 off: float32 on CUDA computes in float32 (cuDNN's default would round convolutions to a 10-bit
        # mantissa, as coarse as float16, which is what float32 is the reference for).
        return self._torch.backends.cudnn.flags(enabled=True, benchmark=benchmark, allow_tf32=False)

    def _to_device(self, batch: np.ndarray):
        torch = self._torch
        tensor = torch.from_numpy(batch)
        if (
            self._on_cuda
        ):  # through a page-locked buffer kept per shape: allocating one per frame costs more than it saves
            staging = recently_used(
                self._pinned,
                tuple(tensor.shape),
                lambda: torch.empty(tensor.shape, dtype=tensor.dtype).pin_memory(),
                self.MAX_STAGING,
            )
            tensor = staging.copy_(tensor)
        tensor = tensor.to(self.device, non_blocking=True).to(self._dtype)
        if self._on_cuda:
            tensor = tensor.contiguous(memory_format=torch.channels_last)
        return tensor

    def _graph_for(self, shape: tuple[int, ...]):
        """The CUDA graph of the forward pass for ``shape`` with its static input and output (captured once)."""
        torch = self._torch
        with self._capture_lock:
            if shape not in self._graphs:
                static_input = torch.zeros(shape, device=self.device, dtype=self._dtype)
                static_input = static_input.contiguous(memory_format=torch.channels_last)
                side_stream = torch.cuda.Stream()
                side_stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side_stream), torch.inference_mode(), self._cudnn(benchmark=True):
                    for _ in range(3):  # warm-up outside the graph (cuDNN picks its algorithms here)
                        self._model(static_input)
                torch.cuda.current_stream().wait_stream(side_stream)
                graph = torch.cuda.CUDAGraph()
                # thread_local: work other threads put on the GPU meanwhile does not break this capture
                capture = torch.cuda.graph(graph, capture_error_mode="thread_local")
                with capture, torch.inference_mode(), self._cudnn(benchmark=True):
                    static_output = self._model(static_input)
                self._graphs[shape] = (graph, static_input, static_output)
            return self._graphs[shape]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        shape = tuple(batch.shape)
        with torch.inference_mode():
            tensor = self._to_device(batch)
            if shape in self._graphs:
                graph, static_input, static_output = self._graphs[shape]
                with self._capture_lock:  # one replay at a time: the graph's buffers are shared
                    static_input.copy_(tensor)
                    graph.replay()
                    return static_output.float().cpu().numpy()
            with self._cudnn(benchmark=shape in self._tuned) if self._on_cuda else contextlib.nullcontext():
                return self._model(tensor).float().cpu().numpy()
