"""Drop via "proxy box agreement" (BoxCaseg, arXiv 2104.01526, Sec. 3.4).

The tight box of a (merged) proxy mask is compared with its ground-truth box;
a low IoU flags a mask whose shape disagrees with the annotation. Such a mask
is *ignored* in the mask loss only: the instance stays for box/class training.

Departure from the paper (``mode='snapped'``, the default): the paper compares
the mask's tight box, whose sides lie on the pixel grid, with the float GT
box, so a perfect mask of a box with sub-pixel coordinates disagrees by up to
a pixel per side. For small objects that alone falls below 0.95 (a 10 x 10
box fill shifted by half a pixel scores 0.83), so the literal rule drops
small objects whatever their quality. ``'snapped'`` compares with the pixel
region the mask was pasted into (:func:`mmboxcaseg.structures.box_regions`)
and lets each side of the mask's box differ from it by up to ``tolerance``
pixels (quantisation) before it counts. ``mode='literal'`` is the paper's.
"""
from typing import Tuple

import numpy as np

from .box_region import box_regions

AGREEMENT_MODES = ('snapped', 'literal')


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

    The leading shapes broadcast as numpy's do, so ``(N, 1, 4)`` against
    ``(1, M, 4)`` gives the ``(N, M)`` IoU of every pair (what
    :func:`~mmboxcaseg.structures.box_crowding.neighbour_iou` uses). Plain
    numpy on purpose: mmdet's ``bbox_overlaps`` module imports ``mmcv.ops``,
    which stages 1 and 2 must not need (tests/test_tools/
    test_without_compiled_ops.py).

    Args:
        boxes1 (np.ndarray): (N, 4) ``x1, y1, x2, y2`` (or any (..., 4)).
        boxes2 (np.ndarray): (N, 4) ``x1, y1, x2, y2`` (or any (..., 4)
            that broadcasts with ``boxes1``).

    Returns:
        np.ndarray: (N,) float64 IoU (the broadcast leading shape); 0 where
        the union is empty.
    """
    b1 = np.asarray(boxes1, dtype=np.float64)
    b2 = np.asarray(boxes2, dtype=np.float64)
    b1 = b1.reshape(-1, 4) if b1.ndim < 2 else b1
    b2 = b2.reshape(-1, 4) if b2.ndim < 2 else b2
    try:
        shape = np.broadcast_shapes(b1.shape[:-1], b2.shape[:-1])
    except ValueError:
        raise ValueError(f'{b1.shape[0]} boxes paired with {b2.shape[0]}') \
            from None
    wh1 = np.clip(b1[..., 2:] - b1[..., :2], 0, None)
    wh2 = np.clip(b2[..., 2:] - b2[..., :2], 0, None)
    lt = np.maximum(b1[..., :2], b2[..., :2])
    rb = np.minimum(b1[..., 2:], b2[..., 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=-1)
    union = wh1.prod(axis=-1) + wh2.prod(axis=-1) - inter
    iou = np.zeros(shape, dtype=np.float64)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou


def box_agreement(masks: np.ndarray,
                  boxes: np.ndarray,
                  mode: str = 'snapped',
                  tolerance: float = 1.0) -> np.ndarray:
    """Proxy box agreement of each mask with its GT box.

    Args:
        masks (np.ndarray): (N, H, W) bool proxy masks (after merging).
        boxes (np.ndarray): (N, 4) float GT boxes ``x1, y1, x2, y2`` in image
            pixel-edge coordinates (clipped to the image).
        mode (str): ``'snapped'`` (default) or ``'literal'`` (the paper),
            see the module docstring.
        tolerance (float): ``'snapped'`` only: pixels a side of the mask's
            tight box may differ from the box region's and still agree.

    Returns:
        np.ndarray: (N,) float64 in [0, 1]; 0 for an empty mask.
    """
    if mode not in AGREEMENT_MODES:
        raise ValueError(f'agreement mode must be one of {AGREEMENT_MODES}, '
                         f'got {mode!r}')
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or masks.shape[0] != boxes.shape[0]:
        raise ValueError(f'box agreement needs (N, H, W) masks and (N, 4) '
                         f'boxes, got {masks.shape} and {boxes.shape}')
    tight = mask_tight_boxes(masks)
    if mode == 'literal':
        return aligned_box_iou(tight, boxes)
    grid = box_regions(boxes, masks.shape[1:]).astype(np.float64)
    nonempty = masks.reshape(len(masks), -1).any(axis=1)
    close = (np.abs(tight - grid) <= tolerance) & nonempty[:, None]
    return aligned_box_iou(np.where(close, grid, tight), grid)


def is_dropped(agreement, thr: float) -> np.ndarray:
    """The drop rule: ``agreement < thr`` (a mask at the threshold stays)."""
    return np.asarray(agreement, dtype=np.float64) < float(thr)


def drop_by_box_agreement(masks: np.ndarray,
                          boxes: np.ndarray,
                          thr: float,
                          mode: str = 'snapped',
                          tolerance: float = 1.0
                          ) -> Tuple[np.ndarray, np.ndarray]:
    """Proxy box agreement and the masks it drops.

    Args:
        masks (np.ndarray): (N, H, W) bool proxy masks (after merging).
        boxes (np.ndarray): (N, 4) float GT boxes, image pixel-edge xyxy.
        thr (float): drop threshold; ``0`` drops nothing.
        mode, tolerance: see :func:`box_agreement`.

    Returns:
        tuple: ``agreement`` (N,) float64 and ``ignored`` (N,) bool
        (:func:`is_dropped`).
    """
    agreement = box_agreement(masks, boxes, mode, tolerance)
    return agreement, is_dropped(agreement, thr)


__all__ = [
    'AGREEMENT_MODES', 'aligned_box_iou', 'box_agreement',
    'drop_by_box_agreement', 'is_dropped', 'mask_tight_boxes'
]
