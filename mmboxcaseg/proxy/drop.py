"""Drop via "proxy box agreement" (BoxCaseg, method-spec section 6).

The tight box of a (merged) proxy mask is compared with its ground-truth box;
a low IoU flags a mask whose shape disagrees with the annotation. Such a mask
is *ignored* in the mask loss only: the instance stays for box/class training.
"""
from typing import Tuple

import numpy as np


def mask_tight_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight boxes of masks in pixel-edge coordinates.

    A mask covering columns ``2..4`` has ``x1 = 2, x2 = 5`` (the same
    convention as a COCO box and as :func:`mmboxcaseg.structures.box_regions`),
    so the box-fill mask of an integer box has exactly that box.

    Args:
        masks (np.ndarray): (N, H, W) bool.

    Returns:
        np.ndarray: (N, 4) float64 ``x1, y1, x2, y2``; all zeros for an empty
        mask.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3:
        raise ValueError(f'masks must be (N, H, W), got {masks.shape}')
    n, h, w = masks.shape
    cols = masks.any(axis=1)  # (N, W)
    rows = masks.any(axis=2)  # (N, H)
    nonempty = cols.any(axis=1)
    x1 = np.argmax(cols, axis=1)
    x2 = w - np.argmax(cols[:, ::-1], axis=1)
    y1 = np.argmax(rows, axis=1)
    y2 = h - np.argmax(rows[:, ::-1], axis=1)
    boxes = np.stack([x1, y1, x2, y2], axis=1).astype(np.float64)
    boxes[~nonempty] = 0.0
    return boxes


def aligned_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of paired boxes (row i with row i), pixel-edge convention.

    Args:
        boxes1 (np.ndarray): (N, 4) ``x1, y1, x2, y2``.
        boxes2 (np.ndarray): (N, 4) ``x1, y1, x2, y2``.

    Returns:
        np.ndarray: (N,) float64 IoU; 0 where the union is empty.
    """
    b1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    b2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    if b1.shape != b2.shape:
        raise ValueError(f'{b1.shape[0]} boxes paired with {b2.shape[0]}')
    wh1 = np.clip(b1[:, 2:] - b1[:, :2], 0, None)
    wh2 = np.clip(b2[:, 2:] - b2[:, :2], 0, None)
    lt = np.maximum(b1[:, :2], b2[:, :2])
    rb = np.minimum(b1[:, 2:], b2[:, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=1)
    union = wh1.prod(axis=1) + wh2.prod(axis=1) - inter
    iou = np.zeros(b1.shape[0], dtype=np.float64)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou


def drop_by_box_agreement(masks: np.ndarray, boxes: np.ndarray,
                          thr: float) -> Tuple[np.ndarray, np.ndarray]:
    """Proxy box agreement and the masks it drops.

    Args:
        masks (np.ndarray): (N, H, W) bool proxy masks (after merging).
        boxes (np.ndarray): (N, 4) float GT boxes ``x1, y1, x2, y2`` in image
            pixel-edge coordinates.
        thr (float): drop threshold; ``0`` drops nothing.

    Returns:
        tuple: ``agreement`` (N,) float64, the IoU of each mask's tight box
        with its GT box (0 for an empty mask), and ``ignored`` (N,) bool,
        ``agreement < thr`` (a mask exactly at the threshold is kept).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or masks.shape[0] != boxes.shape[0]:
        raise ValueError(f'drop_by_box_agreement needs (N, H, W) masks and '
                         f'(N, 4) boxes, got {masks.shape} and {boxes.shape}')
    agreement = aligned_box_iou(mask_tight_boxes(masks), boxes)
    ignored = agreement < float(thr)
    return agreement, ignored
