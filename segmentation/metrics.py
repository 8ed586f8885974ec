"""Mask quality metrics: IoU, boundary F-score, temporal stability.

Masks are (H, W) arrays; probabilities are thresholded at 0.5 where a binary mask is needed.
"""

from __future__ import annotations

import cv2
import numpy as np


def iou(prediction: np.ndarray, target: np.ndarray, threshold: float = 0.5) -> float:
    """Intersection over union of the person class; 1.0 when both masks are empty."""
    pred, true = prediction >= threshold, target >= threshold
    union = np.logical_or(pred, true).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, true).sum() / union)


def _boundary(binary: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask (pixels whose 3x3 neighbourhood is mixed)."""
    as_u8 = binary.astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    return (cv2.dilate(as_u8, kernel) - cv2.erode(as_u8, kernel)) > 0


def boundary_f_score(
    prediction: np.ndarray, target: np.ndarray, tolerance_px: int = 3, threshold: float = 0.5
) -> float:
    """F-score of boundary pixels matched within ``tolerance_px`` (Perazzi et al. 2016, DAVIS ``F``)."""
    pred_edge = _boundary(prediction >= threshold)
    true_edge = _boundary(target >= threshold)
    if not pred_edge.any() and not true_edge.any():
        return 1.0
    if not pred_edge.any() or not true_edge.any():
        return 0.0
    size = 2 * tolerance_px + 1
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    true_zone = cv2.dilate(true_edge.astype(np.uint8), disk) > 0
    pred_zone = cv2.dilate(pred_edge.astype(np.uint8), disk) > 0
    precision = (pred_edge & true_zone).sum() / pred_edge.sum()
    recall = (true_edge & pred_zone).sum() / true_edge.sum()
    return 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))


def static_flicker(
    frames_rgb: list[np.ndarray], masks: list[np.ndarray], *, still_threshold: float = 2.0, edge_band_px: int = 10
) -> float:
    """Mean absolute mask change (in [0, 1]) between consecutive frames where the image itself stood still.

    Counted pixels: grey value changed by less than ``still_threshold`` levels between the two frames, and within
    ``edge_band_px`` of the person's outline in either frame (far from the outline every model is trivially
    stable, which would only dilute the figure). A perfectly stable segmenter scores 0.
    """
    size = 2 * edge_band_px + 1
    band_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    changes = []
    for index in range(1, len(frames_rgb)):
        grey_now = cv2.cvtColor(frames_rgb[index], cv2.COLOR_RGB2GRAY).astype(np.float32)
        grey_before = cv2.cvtColor(frames_rgb[index - 1], cv2.COLOR_RGB2GRAY).astype(np.float32)
        edges = _boundary(masks[index] >= 0.5) | _boundary(masks[index - 1] >= 0.5)
        band = cv2.dilate(edges.astype(np.uint8), band_kernel) > 0
        counted = band & (np.abs(grey_now - grey_before) < still_threshold)
        if counted.any():
            changes.append(float(np.abs(masks[index] - masks[index - 1])[counted].mean()))
    return float(np.mean(changes)) if changes else 0.0


GLOW_BAND_PX = (3, 10)  # the band outside a person's outline where a soft edge shows as a glow


def outside_glow(prediction: np.ndarray, target: np.ndarray, band: tuple[int, int] = GLOW_BAND_PX) -> float:
    """Mean predicted alpha in the band ``band`` = (near, far) pixels outside the target's outline, in [0, 1].

    ``prediction`` is (H, W) float alpha in [0, 1]; ``target`` (H, W) in [0, 1], thresholded at 0.5. A mask whose
    soft edge spreads past the hair and shoulders shows the new background's pixels mixed with the room's there (a
    halo); a crisp edge scores near 0. NaN when the target has no outline (no person, or all person).
    """
    person = target >= 0.5
    if person.all() or not person.any():
        return float("nan")
    # Distance of every pixel outside the person to the nearest person pixel.
    distance = cv2.distanceTransform((~person).astype(np.uint8), cv2.DIST_L2, 5)
    near, far = band
    in_band = (distance >= near) & (distance <= far)
    return float(prediction[in_band].mean()) if in_band.any() else float("nan")


def person_area(prediction: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of the picture marked as person, in [0, 1]; on a photo with nobody in it, all of it is false."""
    return float((prediction >= threshold).mean())
