"""Merge via "smaller object better" (BoxCaseg, arXiv 2104.01526, Sec. 3.4).

Each pixel of an image belongs to at most one object. Where several proxy
masks claim a pixel, the pixel goes to the mask of the smallest box, since a
small object usually lies inside the box of a large one.
"""
import numpy as np


def painting_rank(boxes: np.ndarray) -> np.ndarray:
    """1-based position of each box when painting in descending box area.

    Tie rule: boxes of equal area keep their input order (stable sort), so
    of two equal-area boxes the one listed *later* is painted later.

    Args:
        boxes (np.ndarray): (N, 4) float ``x1, y1, x2, y2``.

    Returns:
        np.ndarray: (N,) int64 ranks ``1..N``; the highest rank wins.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = np.argsort(-areas, kind='stable')
    rank = np.empty(len(boxes), dtype=np.int64)
    rank[order] = np.arange(1, len(boxes) + 1)
    return rank


def merge_smaller_first(masks: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Give every pixel claimed by several masks to the smallest box.

    Equivalent to painting the masks in descending box area, each later
    (smaller) mask overwriting the earlier ones (see :func:`painting_rank`
    for ties), computed without a loop: a pixel's owner is the covering mask
    of highest painting rank. Elementwise operations keep the memory layout
    of ``masks`` (a column-major view stays one, see
    :func:`~mmboxcaseg.structures.paste_masks`).

    Args:
        masks (np.ndarray): (N, H, W) bool masks of one image.
        boxes (np.ndarray): (N, 4) float boxes ``x1, y1, x2, y2`` (only their
            areas are used).

    Returns:
        np.ndarray: (N, H, W) bool, pairwise disjoint masks, each a subset of
        its input mask, whose union equals the union of the inputs.
    """
    masks = np.asarray(masks, dtype=bool)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if masks.ndim != 3 or masks.shape[0] != boxes.shape[0]:
        raise ValueError(f'merge_smaller_first needs (N, H, W) masks and '
                         f'(N, 4) boxes, got {masks.shape} and {boxes.shape}')
    if masks.shape[0] <= 1:
        return masks.copy(order='K')
    rank = painting_rank(boxes)
    rank = rank.astype(np.min_scalar_type(len(rank)))[:, None, None]
    owner = (masks * rank).max(axis=0)  # (H, W), 0 where no mask
    return masks & (owner[None] == rank)
