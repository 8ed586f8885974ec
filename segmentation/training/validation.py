"""Validation of a torch model on hand-labelled photos, at the same input sizing the app uses."""

from __future__ import annotations

import numpy as np
import torch

from segmentation.inference.preprocess import resize_for_model, sigmoid, to_nchw_float, upsample_mask
from segmentation.metrics import boundary_f_score, iou
from segmentation.training.sources import LabelledImage


@torch.no_grad()
def predict_full_resolution(model: torch.nn.Module, rgb: np.ndarray, device: torch.device) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 person probability with an eval-mode torch model."""
    tensor = torch.from_numpy(to_nchw_float(resize_for_model(rgb))).to(device)
    logits = model(tensor)[0, 0].float().cpu().numpy()
    return upsample_mask(sigmoid(logits), rgb.shape[1], rgb.shape[0])


def validate(model: torch.nn.Module, photos: list[LabelledImage], device: torch.device) -> dict[str, float]:
    """Mean IoU and mean boundary F-score (3 px) over ``photos``.

    ``photos`` are loaded with the training cap on the long side (``max_image_side``, 640 px by default), so the
    boundary F here runs about 0.01 above ``segmentation.tools.evaluate``'s, which scores the photos at full size (the
    3-px tolerance is stricter there); IoU is the same.
    """
    was_training = model.training
    model.eval()
    ious, f_scores = [], []
    for item in photos:
        probability = predict_full_resolution(model, item.rgb, device)
        ious.append(iou(probability, item.mask))
        f_scores.append(boundary_f_score(probability, item.mask))
    model.train(was_training)
    return {"val_iou": float(np.mean(ious)), "val_boundary_f": float(np.mean(f_scores))}
