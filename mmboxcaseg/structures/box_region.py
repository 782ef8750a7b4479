"""The pixel region a box covers: one convention for every stage.

Every stage that turns a float box into pixels (box-crop evaluation, proxy
generators, pasting, the box-fill baseline) uses :func:`box_regions`, so that a
box-fill mask, a crop fed to the segmentor and a pasted prediction cover the
same pixels.

Convention: a box ``(x1, y1, x2, y2)`` in pixel-edge coordinates covers the
columns ``floor(x1) <= x < ceil(x2)`` and rows ``floor(y1) <= y < ceil(y2)``,
clipped to the image and at least one pixel wide and high.
"""
from typing import Sequence, Tuple

import numpy as np


def box_regions(boxes: np.ndarray, img_shape: Tuple[int, int]) -> np.ndarray:
    """Integer pixel regions of boxes.

    Args:
        boxes (np.ndarray): (N, 4) float boxes ``x1, y1, x2, y2``.
        img_shape (tuple): ``(H, W)`` of the image.

    Returns:
        np.ndarray: (N, 4) int64 ``x0, y0, x1, y1`` with
        ``0 <= x0 < x1 <= W`` and ``0 <= y0 < y1 <= H`` (half-open).
    """
    h, w = int(img_shape[0]), int(img_shape[1])
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0 = np.clip(np.floor(boxes[:, 0]), 0, w - 1)
    y0 = np.clip(np.floor(boxes[:, 1]), 0, h - 1)
    x1 = np.clip(np.ceil(boxes[:, 2]), 1, w)
    y1 = np.clip(np.ceil(boxes[:, 3]), 1, h)
    x1 = np.maximum(x1, x0 + 1)
    y1 = np.maximum(y1, y0 + 1)
    return np.stack([x0, y0, x1, y1], axis=1).astype(np.int64)


def paste_masks(local_masks: Sequence[np.ndarray],
                regions: np.ndarray,
                img_shape: Tuple[int, int],
                column_major: bool = False) -> np.ndarray:
    """Paste box-local masks into full-image masks.

    Args:
        local_masks (Sequence[np.ndarray]): N boolean masks, the i-th of shape
            ``(y1 - y0, x1 - x0)`` of ``regions[i]``.
        regions (np.ndarray): (N, 4) int regions from :func:`box_regions`.
        img_shape (tuple): ``(H, W)``.
        column_major (bool): store each mask column-major (a view of an
            ``(N, W, H)`` array), the layout pycocotools encodes without a
            copy and numpy's elementwise operations keep.

    Returns:
        np.ndarray: (N, H, W) bool.
    """
    h, w = int(img_shape[0]), int(img_shape[1])
    n = len(local_masks)
    out = np.zeros((n, w, h), dtype=bool).transpose(0, 2, 1) \
        if column_major else np.zeros((n, h, w), dtype=bool)
    for i, (m, (x0, y0, x1, y1)) in enumerate(zip(local_masks, regions)):
        if np.shape(m) != (y1 - y0, x1 - x0):
            raise ValueError(f'mask {i} has shape {np.shape(m)}, but its '
                             f'region {(x0, y0, x1, y1)} needs '
                             f'{(y1 - y0, x1 - x0)}')
        out[i, y0:y1, x0:x1] = m
    return out
