"""The backbone registry and the contract every backbone follows.

Contract (written once, checked by ``tests/test_backbones.py`` for every registered backbone):

- ``forward(x)`` takes a normalised NCHW float tensor of shape (N, 3, H, W) with H and W multiples of 16 and
  returns ``(low_level, high_level)``:
  - ``low_level``: (N, ``low_level_channels``, H/4, W/4), the stride-4 features for the decoder's skip connection;
  - ``high_level``: (N, ``high_level_channels``, H/OS, W/OS) with OS = ``output_stride`` (16 or 8). Stages past
    the output stride keep their resolution and use atrous (dilated) convolution instead of striding.
- Attributes ``low_level_channels``, ``high_level_channels`` and ``output_stride`` state those numbers.
- Input normalisation is the model's job (``DeepLabV3Plus`` applies ``BackboneEntry.mean/std``), not the backbone's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

SUPPORTED_OUTPUT_STRIDES = (8, 16)


@dataclass(frozen=True)
class BackboneEntry:
    """How to build one backbone and what its pretrained weights expect.

    ``mean`` and ``std`` are per-channel RGB values for input scaled to [0, 1].
    """

    name: str
    build: Callable[[int], nn.Module]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    description: str


class BackboneRegistry:
    """Explicitly filled name -> ``BackboneEntry`` map that refuses duplicates."""

    def __init__(self) -> None:
        self._entries: dict[str, BackboneEntry] = {}

    def register(self, entry: BackboneEntry) -> None:
        if entry.name in self._entries:
            raise ValueError(f"backbone {entry.name!r} is already registered")
        self._entries[entry.name] = entry

    def get(self, name: str) -> BackboneEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"unknown backbone {name!r}; expected one of {sorted(self._entries)}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)


def stage_stride_and_dilation(
    current_stride: int, dilation: int, stride: int, output_stride: int
) -> tuple[int, int, int, int]:
    """Decide how a stage that asks for ``stride`` is built under an atrous ``output_stride``.

    Returns ``(stride_to_use, first_block_dilation, new_current_stride, new_dilation)``. Once the feature map has
    reached ``output_stride``, a stride-2 stage keeps stride 1 and doubles the dilation of the blocks after its first.
    """
    if output_stride not in SUPPORTED_OUTPUT_STRIDES:
        raise ValueError(f"output_stride must be one of {SUPPORTED_OUTPUT_STRIDES}, got {output_stride}")
    if stride == 1:
        return 1, dilation, current_stride, dilation
    if current_stride >= output_stride:
        return 1, dilation, current_stride, dilation * stride
    return stride, dilation, current_stride * stride, dilation
