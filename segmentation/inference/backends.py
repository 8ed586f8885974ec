"""Inference backends: each turns a (N, 3, h, w) float32 RGB batch in [0, 1] into (N, 1, h, w) float32 logits.

- ``OnnxRuntimeBackend``: CPU default. Graph optimisation level ALL, a fixed intra-op thread count and spin-waiting
  off (spinning threads otherwise starve the compositing thread in the real-time pipeline).
- ``TorchBackend``: CUDA default (half precision, channels_last, cuDNN autotuning, warm-up, optional CUDA graph for
  a fixed input shape) and CPU fallback in float32.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segmentation.inference.choices import Backend, Device, Precision


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
    """PyTorch eager inference on ``device`` in ``precision`` (``choices.torch_precision`` picks it: float16 on CUDA,
    float32 on the CPU; float16 on the CPU is for tests of the CUDA path's numerics)."""

    name = Backend.TORCH

    def __init__(self, model, *, device: Device, precision: Precision, cuda_graph: bool = False) -> None:
        import torch

        if precision not in (Precision.FLOAT16, Precision.FLOAT32):
            raise ValueError(f"the torch backend runs in float16 or float32, not {precision}")
        self._torch = torch
        self.device = Device(device)
        self.precision = precision
        self._dtype = torch.float16 if precision is Precision.FLOAT16 else torch.float32
        self._model = model.to(device=device, dtype=self._dtype).eval()
        self._channels_last = self.device is Device.CUDA
        if self._channels_last:
            torch.backends.cudnn.benchmark = True
            self._model = self._model.to(memory_format=torch.channels_last)
        self._use_cuda_graph = cuda_graph and self.device is Device.CUDA
        self._graphs: dict[tuple[int, ...], tuple[object, object, object]] = {}

    def _to_device(self, batch: np.ndarray):
        tensor = self._torch.from_numpy(batch).to(self.device, non_blocking=True).to(self._dtype)
        if self._channels_last:
            tensor = tensor.contiguous(memory_format=self._torch.channels_last)
        return tensor

    def _graph_for(self, shape: tuple[int, ...]):
        """Capture (once per input shape) a CUDA graph of the forward pass with static input/output buffers."""
        torch = self._torch
        if shape not in self._graphs:
            static_input = torch.zeros(shape, device=self.device, dtype=self._dtype)
            if self._channels_last:
                static_input = static_input.contiguous(memory_format=torch.channels_last)
            side_stream = torch.cuda.Stream()
            side_stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side_stream), torch.inference_mode():
                for _ in range(3):  # warm-up outside the graph (cuDNN picks its algorithms here)
                    self._model(static_input)
            torch.cuda.current_stream().wait_stream(side_stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph), torch.inference_mode():
                static_output = self._model(static_input)
            self._graphs[shape] = (graph, static_input, static_output)
        return self._graphs[shape]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            tensor = self._to_device(batch)
            if self._use_cuda_graph:
                graph, static_input, static_output = self._graph_for(tuple(tensor.shape))
                static_input.copy_(tensor)
                graph.replay()
                logits = static_output
            else:
                logits = self._model(tensor)
            return logits.float().cpu().numpy()
