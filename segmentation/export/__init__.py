"""Export: a training checkpoint (or shipped weights) to the shipped model files (``python -m segmentation.export``).

- ``ship``: the command; writes ``NAME.safetensors``, ``NAME.onnx`` and ``NAME.json`` once ONNX Runtime agrees with
  torch;
- ``onnx_file``: the ONNX graph itself, its agreement check and static int8 quantisation.

Export reads training's configuration and data; the runtime and the app never import it.
"""

from segmentation.export.ship import main

__all__ = ["main"]
