"""Where the full-resolution half of the render step runs: OpenCV on the CPU, or torch on the model's GPU.

``FrameRenderer`` asks ``frame_ops_for(choice, segmenter info)`` once per segmenter. With the model in torch on CUDA
(and ``choice`` "auto"), a ``DeviceFinisher`` resizes the frame to the model's input, then does the full-resolution
half of the edge-aware upsampling (the edge coefficients come from the CPU, at the model's input size), the
background and the compositing on the GPU (``torch_frame_ops``): one uint8 upload of the frame, a
small uint8 download for the model, one uint8 download of the finished frame. Elsewhere it is
None and the OpenCV path runs as it always has. A choice of "cpu" runs the torch path on the CPU (for tests that
compare it with the OpenCV path); "opencv" keeps the OpenCV path even on a GPU (for comparing timings).

torch is imported only when a ``DeviceFinisher`` is made: a plain install has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.engine.backgrounds import Background, BlurBackground, ImageBackground, SolidBackground, VideoBackground
from app.engine.refine import folded_coefficients
from app.engine.settings import RenderSettings
from segmentation import Backend, BackendInfo, Device, area_resize_sizes

if TYPE_CHECKING:
    from app.engine.renderer import Masked

AUTO, OPENCV = "auto", "opencv"


def frame_ops_for(choice: str, info: BackendInfo) -> DeviceFinisher | None:
    """The finisher for ``choice``: "auto" (torch on CUDA when the model runs there, else None), "opencv" (None),
    or a torch device name ("cpu", "cuda", "cuda:1") to use whatever the model runs on."""
    if choice == OPENCV:
        return None
    if choice == AUTO:
        if info.backend is not Backend.TORCH or info.device is not Device.CUDA:
            return None
        choice = "cuda"
    return DeviceFinisher(choice)


class DeviceFinisher:
    """Upsampling, background and compositing of one frame on a torch device (one thread at a time).

    ``finish`` returns the (H, W, 3) uint8 RGB output, or None when anything on the device failed: the renderer
    then finishes that frame on the CPU, so a failure costs a frame's extra time, never the room's privacy. After
    ``MAX_FAILURES`` failures in a row it stays off (``active`` False): a broken GPU should not add a failed try to
    every frame. ``last_failure`` keeps the latest exception, for reports.
    """

    MAX_FAILURES = 3

    def __init__(self, device: str) -> None:
        import torch

        from app.engine import torch_frame_ops

        self._torch = torch
        self._ops = torch_frame_ops
        self.device = torch.device(device)
        self._staging = torch_frame_ops.StagingBuffers(self.device)
        self._kept: tuple[np.ndarray, Any] | None = None  # a background array that does not change, and its upload
        self.failures = 0
        self.last_failure: BaseException | None = None

    @property
    def active(self) -> bool:
        return self.failures < self.MAX_FAILURES

    def finish(
        self,
        masked: Masked,
        edges: tuple[np.ndarray, np.ndarray],
        settings: RenderSettings,
        background: Background | None,
    ) -> np.ndarray | None:
        """``masked`` (the frame) and ``edges`` (its mask's edge coefficients ``(slope, level)``, (h, w) float32
        each) to the finished (H, W, 3) uint8 RGB frame, or None if the device failed (see the class docstring)."""
        try:
            with self._torch.inference_mode():
                output = self._finish(masked, edges, settings, background)
        except Exception as error:  # any device failure: this frame is finished on the CPU instead
            self.failures += 1
            self.last_failure = error
            return None
        self.failures = 0
        return output

    def model_input(self, rgb: np.ndarray, width: int, height: int) -> tuple[np.ndarray, Any] | None:
        """The (H, W, 3) uint8 RGB frame uploaded once and resized on the device to the model's ``width`` x
        ``height`` (INTER_AREA's averaging, within 1 level of OpenCV): ``(small, frame_on_device)``, the small
        (height, width, 3) uint8 brought down for the model and the upload kept for ``finish``; None if the device
        failed (the caller resizes on the CPU). Runs on the segmenting thread: its staging buffer is its own."""
        try:
            with self._torch.inference_mode():
                frame = self._staging.upload(rgb, "model frame")
                resized = frame
                for size in area_resize_sizes(rgb.shape[1], rgb.shape[0], width, height):
                    resized = self._ops.resize_area(resized, *size)
                small = self._ops.download(resized)
        except Exception as error:  # any device failure: the CPU resizes this frame instead
            self.failures += 1
            self.last_failure = error
            return None
        return small, frame

    def _finish(
        self,
        masked: Masked,
        edges: tuple[np.ndarray, np.ndarray],
        settings: RenderSettings,
        background: Background | None,
    ) -> np.ndarray:
        ops, upload = self._ops, self._staging.upload
        frame = masked.device_frame if masked.device_frame is not None else upload(masked.rgb, "frame")
        a, b = folded_coefficients(*edges, threshold=settings.threshold, feather=settings.feather)
        alpha = ops.guided_alpha(upload(np.stack((a, b), axis=-1), "edge coefficients"), ops.to_grey(frame))
        if background is None:
            return ops.download(ops.mask_preview(alpha))
        return ops.download(ops.composite(frame, self._background(background, masked.rgb, frame, alpha), alpha))

    def _background(self, background: Background, rgb: np.ndarray, frame: Any, alpha: Any) -> Any:
        """The (H, W, 3) uint8 background on the device: the blur computed there; a colour or an opaque picture
        rendered on the CPU once and kept there; anything else rendered on the CPU each frame and uploaded (with
        the alpha brought down first when the background needs the person)."""
        if isinstance(background, BlurBackground):
            return self._ops.blur_around(frame, alpha, sigma=background.sigma_for(rgb.shape[0], rgb.shape[1]))
        unchanging = isinstance(background, SolidBackground) or (
            isinstance(background, ImageBackground) and not background.needs_person
        )
        needs_person = not unchanging and not isinstance(background, VideoBackground)
        rendered = background.render(rgb, self._ops.download(alpha) if needs_person else None)
        if not unchanging:
            return self._staging.upload(rendered, "background")
        # These renderers return the same array until the frame size changes, and never write to it again.
        if self._kept is None or self._kept[0] is not rendered:
            self._kept = (rendered, self._staging.upload(rendered, "background").clone())
        return self._kept[1]
