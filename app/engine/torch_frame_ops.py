"""The full-resolution half of the render step in torch, on any device: the OpenCV path's maths, op for op.

On a CUDA machine the render thread spends most of its time on full-resolution work (resizes, grey conversion,
guided upsampling, the blur, compositing); these functions do the same on the GPU, so that one frame goes up as uint8,
and one finished uint8 frame comes down. Each function names the OpenCV code it stands for; the CPU test suite checks
each against it (``tests/engine/test_torch_frame_ops.py``, within 2 grey levels).

Tensors: frames are (H, W, 3) uint8 RGB, greys and alphas (H, W) uint8, masks (h, w) float32 in [0, 1], as in the
OpenCV path (no channel-first copies at full resolution). Small filters (Gaussian blurs at a reduced size) are
matrix products with OpenCV's default border (BORDER_REFLECT_101) folded into the matrices, which works for a
kernel of any width against an image of any size.

This module imports torch: only ``device_finish`` imports it, and only when the torch path is used.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

# cv2.cvtColor(COLOR_RGB2GRAY) for uint8: BT.601 luma in 15-bit fixed point (measured bit-exact against OpenCV).
_GREY_WEIGHTS = (9798, 19235, 3735)
_GREY_SHIFT = 15
_GAUSSIAN_SIGMAS_FLOAT = 4.0  # cv2.GaussianBlur's kernel reaches 4 sigma each side for float images (3 for uint8)
_MIN_ROOM_WEIGHT = 1e-3  # as in backgrounds.blur_around


class StagingBuffers:
    """Host -> device transfers; on CUDA through page-locked buffers kept per slot, shape and dtype (pinning one per
    frame costs more than it saves). A buffer is written again only once its last copy to the device has finished."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._pinned: dict[tuple[object, ...], tuple[torch.Tensor, torch.cuda.Event]] = {}

    def upload(self, array: np.ndarray, slot: str) -> torch.Tensor:
        """A numpy array -> a tensor of its shape and dtype on the device (the same memory on the CPU, when
        ``array`` is C-contiguous). ``slot`` names the use: two uploads in one frame need two slots."""
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if self.device.type != "cuda":
            return tensor.to(self.device)
        key = (slot, tuple(tensor.shape), tensor.dtype)
        kept = self._pinned.get(key)
        if kept is None:
            kept = self._pinned[key] = (torch.empty_like(tensor).pin_memory(), torch.cuda.Event())
        else:
            kept[1].synchronize()  # the previous copy from this buffer is done (it usually is: frames end in a sync)
        staging, copied = kept
        staging.copy_(tensor)
        on_device = staging.to(self.device, non_blocking=True)
        copied.record()
        return on_device


def download(tensor: torch.Tensor) -> np.ndarray:
    """A device tensor -> a numpy array of its own (the caller may hand it to another thread)."""
    if tensor.device.type == "cpu":
        return tensor.contiguous().numpy().copy()
    return tensor.contiguous().cpu().numpy()


def to_grey(rgb: torch.Tensor) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (H, W) uint8 luma, bit-exact with ``refine.to_grey`` (cv2 COLOR_RGB2GRAY)."""
    channels = rgb.to(torch.int32)
    r, g, b = _GREY_WEIGHTS
    luma = channels[..., 0] * r + channels[..., 1] * g + channels[..., 2] * b + (1 << (_GREY_SHIFT - 1))
    return (luma >> _GREY_SHIFT).to(torch.uint8)


def round_to_uint8(values: torch.Tensor) -> torch.Tensor:
    """float -> uint8 as OpenCV's ``saturate_cast<uchar>``: round half to even, then clip to [0, 255]."""
    return values.round().clamp_(0, 255).to(torch.uint8)


@lru_cache(maxsize=64)
def _area_taps(source: int, target: int) -> tuple[np.ndarray, np.ndarray]:
    """cv2 INTER_AREA's weights along one axis (``computeResizeAreaTab``): for each of ``target`` outputs, the
    indices (target, K) int64 of the source pixels it covers and their weights (target, K) float32 (zero-padded)."""
    scale = source / target
    rows: list[list[tuple[int, float]]] = []
    for out in range(target):
        start, end = out * scale, (out + 1) * scale
        cell = min(scale, source - start)
        first, last = math.ceil(start), min(math.floor(end), source - 1)
        first = min(first, last)
        taps = []
        if first - start > 1e-3:
            taps.append((first - 1, (first - start) / cell))
        taps.extend((index, 1.0 / cell) for index in range(first, last))
        if end - last > 1e-3:
            taps.append((last, min(min(end - last, 1.0), cell) / cell))
        rows.append(taps)
    width = max(len(taps) for taps in rows)
    indices = np.zeros((target, width), np.int64)
    weights = np.zeros((target, width), np.float32)
    for out, taps in enumerate(rows):
        for k, (index, weight) in enumerate(taps):
            indices[out, k], weights[out, k] = index, weight
    return indices, weights


@lru_cache(maxsize=64)
def _area_taps_on(source: int, target: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``_area_taps`` on ``device``, uploaded once per size (not on every frame: a copy from pageable memory waits
    for the GPU)."""
    indices, weights = _area_taps(source, target)
    return torch.from_numpy(indices).to(device), torch.from_numpy(weights).to(device)


def _area_along(image: torch.Tensor, dim: int, target: int) -> torch.Tensor:
    indices, weights = _area_taps_on(image.shape[dim], target, image.device)
    gathered = image.index_select(dim, indices.reshape(-1))
    shape = (*image.shape[:dim], target, indices.shape[1], *image.shape[dim + 1 :])
    view = [1] * len(shape)
    view[dim], view[dim + 1] = indices.shape
    return (gathered.reshape(shape) * weights.reshape(view)).sum(dim + 1)


def resize_area(image: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Downscale like ``cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)``: each output pixel is the
    mean of the source area it covers (fractional pixels weighted by their share).

    ``image``: (H, W) or (H, W, C), uint8 or float32, with ``width <= W`` and ``height <= H`` (OpenCV's upscaling
    INTER_AREA is another interpolation; a ``ValueError`` says so). A uint8 image comes back as uint8 rounded as
    OpenCV rounds (within 1 level of it), a float one as float32.
    """
    source_height, source_width = image.shape[:2]
    if width > source_width or height > source_height or width < 1 or height < 1:
        raise ValueError(
            f"resize_area only downscales: expected at most {source_width}x{source_height}, got {width}x{height}"
        )
    result = image.to(torch.float32)
    if width != source_width:
        result = _area_along(result, 1, width)
    if height != source_height:
        result = _area_along(result, 0, height)
    return round_to_uint8(result) if image.dtype == torch.uint8 else result


def resize_linear(image: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """``cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)`` (pixel centres aligned, edges clamped).

    ``image``: (h, w) or (h, w, C) uint8 or float32. uint8 comes back rounded to uint8 (OpenCV works in fixed point:
    within 1 level of it), float32 as float32.
    """
    if image.ndim == 2:
        return resize_linear(image[..., None], width, height)[..., 0]
    planes = image.to(torch.float32).permute(2, 0, 1)[None]
    result = F.interpolate(planes, size=(height, width), mode="bilinear", align_corners=False)[0].permute(1, 2, 0)
    return round_to_uint8(result) if image.dtype == torch.uint8 else result


def _reflect_101(index: int, size: int) -> int:
    """OpenCV's ``borderInterpolate(index, size, BORDER_REFLECT_101)``: gfedcb|abcdefgh|gfedcba, repeated."""
    if size == 1:
        return 0
    period = 2 * size - 2
    index %= period
    return index if index < size else period - index


@lru_cache(maxsize=64)
def _filter_matrix(size: int, taps: tuple[float, ...]) -> np.ndarray:
    """(size, size) float32 matrix applying the centred 1-D kernel ``taps`` with BORDER_REFLECT_101 borders."""
    radius = len(taps) // 2
    matrix = np.zeros((size, size), np.float64)
    for out in range(size):
        for k, tap in enumerate(taps):
            matrix[out, _reflect_101(out + k - radius, size)] += tap
    return matrix.astype(np.float32)


@lru_cache(maxsize=64)
def _filter_matrix_on(size: int, taps: tuple[float, ...], device: torch.device) -> torch.Tensor:
    """``_filter_matrix`` on ``device``, uploaded once per size and kernel."""
    return torch.from_numpy(_filter_matrix(size, taps)).to(device)


def _separable(image: torch.Tensor, taps: tuple[float, ...]) -> torch.Tensor:
    """(h, w) or (h, w, C) float32 filtered by ``taps`` along both axes, BORDER_REFLECT_101."""
    rows = _filter_matrix_on(image.shape[0], taps, image.device)
    columns = _filter_matrix_on(image.shape[1], taps, image.device)
    flat = image.reshape(image.shape[0], -1)
    across = torch.einsum("ij,hjc->hic", columns, (rows @ flat).reshape(image.shape[0], image.shape[1], -1))
    return across.reshape(image.shape)


@lru_cache(maxsize=64)
def _gaussian_taps(sigma: float) -> tuple[float, ...]:
    """cv2.getGaussianKernel(n, sigma) with the size ``cv2.GaussianBlur(..., (0, 0), sigma)`` picks for float images."""
    size = int(np.rint(sigma * _GAUSSIAN_SIGMAS_FLOAT * 2 + 1)) | 1
    offsets = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-(offsets**2) / (2 * sigma * sigma))
    return tuple(float(tap) for tap in kernel / kernel.sum())


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """``cv2.GaussianBlur(image, (0, 0), sigma)`` for (h, w) or (h, w, C) float32 (kernel size from ``sigma``)."""
    return _separable(image, _gaussian_taps(float(sigma)))


def _dilate_3x3(image: torch.Tensor) -> torch.Tensor:
    """``cv2.dilate(image, np.ones((3, 3)))`` for (h, w) uint8 (the border adds nothing)."""
    planes = image.to(torch.float32)[None, None]
    return F.max_pool2d(planes, 3, stride=1, padding=1)[0, 0].to(torch.uint8)


def guided_alpha(coefficients: torch.Tensor, frame_grey: torch.Tensor) -> torch.Tensor:
    """``refine.GuidedUpsampler``: ``coefficients`` (h, w, 2) float32, ``refine.folded_coefficients``' ``(a, b)``
    stacked, applied to ``frame_grey`` (H, W) uint8 -> the (H, W) uint8 alpha in [0, 255]."""
    height, width = frame_grey.shape
    full = resize_linear(coefficients, width, height)
    alpha = full[..., 0] * frame_grey.to(torch.float32) + full[..., 1]
    return round_to_uint8(alpha.clamp_(min=0.0))


def blur_around(frame: torch.Tensor, person: torch.Tensor, *, sigma: float) -> torch.Tensor:
    """``backgrounds.blur_around``: a Gaussian blur (``sigma`` in full-size pixels) of the room alone, the person
    (weight 255 - alpha, widened by one pixel at the reduced size) left out.

    ``frame`` (H, W, 3) uint8 RGB; ``person`` (H, W) uint8 alpha. Returns (H, W, 3) uint8 RGB. Runs without a sync
    (the room's mean for out-of-reach pixels is computed always, not only when some exist).
    """
    factor = 16 if sigma >= 64 else 8 if sigma >= 16 else 4
    height, width = frame.shape[:2]
    small_width, small_height = max(1, width // factor), max(1, height // factor)
    small = resize_area(frame, small_width, small_height).to(torch.float32)
    covered = _dilate_3x3(resize_area(person, small_width, small_height))
    room = (255 - covered.to(torch.float32)) * (1.0 / 255.0)
    premultiplied = small * room[..., None]
    weighted = gaussian_blur(premultiplied, sigma / factor)
    weight = gaussian_blur(room, sigma / factor)
    blurred = weighted / weight.clamp(min=_MIN_ROOM_WEIGHT)[..., None]
    total = room.sum()
    room_mean = torch.where(
        total > 0, premultiplied.reshape(-1, 3).sum(0) / total.clamp(min=1e-12), small.reshape(-1, 3).mean(0)
    )
    blurred = torch.where((weight < _MIN_ROOM_WEIGHT)[..., None], room_mean, blurred)
    # astype(np.uint8) after clip(0, 255): truncation, not rounding
    return resize_linear(blurred.clamp(0, 255).to(torch.uint8), width, height)


def composite(foreground: torch.Tensor, background: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """``composite.Compositor``: ``round(fg * a / 255) + round(bg * (255 - a) / 255)`` per channel, saturated, as
    OpenCV's uint8 multiply-with-scale and add compute it (bit-exact).

    ``foreground``, ``background`` (H, W, 3) uint8 RGB; ``alpha`` (H, W) uint8, 255 = person. Returns a new
    (H, W, 3) uint8 RGB tensor.
    """
    # Products of two bytes are exact in float32, and x / 255 is never within float32's error of a tie (.5).
    a = alpha.to(torch.float32)[..., None]
    person = (foreground.to(torch.float32) * a).mul_(1.0 / 255.0).round_()
    rest = (background.to(torch.float32) * (255.0 - a)).mul_(1.0 / 255.0).round_()
    return person.add_(rest).clamp_(max=255).to(torch.uint8)


def mask_preview(alpha: torch.Tensor) -> torch.Tensor:
    """``composite.mask_preview``: the (H, W) uint8 alpha as an (H, W, 3) uint8 grey image."""
    return alpha[..., None].expand(*alpha.shape, 3).contiguous()
