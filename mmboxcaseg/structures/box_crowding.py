"""How crowded each box is: its largest IoU with another box of its image.

Not in the paper. A proxy mask of a box that overlaps a box of similar size
is often wrong (the network and GrabCut see two objects in one crop and the
box alone does not say which is meant): on coco128 the default's masks have a
mean true IoU of 0.72 where the box overlaps no other and 0.49 where its IoU
with a neighbour exceeds 0.3. The mask score (:func:`~mmboxcaseg.models.
segmentors.region_masks.sample_region_masks`) is multiplied by
``1 - neighbour_iou``; docs/model_zoo.md (the score table) has what it buys.
"""
import numpy as np

from .box_agreement import aligned_box_iou

# pairs of boxes compared at once: bounds the memory of an image with very
# many boxes (a crowd) at 2^22 pairs x 8 bytes x a few arrays (~200 MB)
_BLOCK_PAIRS = 1 << 22


def neighbour_iou(boxes: np.ndarray) -> np.ndarray:
    """Each box's largest IoU with any other box of the same image.

    Boxes are sorted by their left side, so each box is compared only with
    the boxes whose left side lies within the widest box's width of it or
    before its right side: on a photo of many small boxes this is far from
    all pairs. Identical boxes have IoU 1 with each other.

    Args:
        boxes (np.ndarray): (N, 4) ``x1, y1, x2, y2`` (pixel-edge
            convention, as :func:`aligned_box_iou`).

    Returns:
        np.ndarray: (N,) float64 in [0, 1]; 0 for a box alone in its image
        and for an empty box.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(b)
    out = np.zeros(n, dtype=np.float64)
    if n < 2:
        return out
    order = np.argsort(b[:, 0], kind='stable')
    s = b[order]
    max_w = float(np.clip(s[:, 2] - s[:, 0], 0, None).max())
    best = np.zeros(n, dtype=np.float64)
    left = s[:, 0]
    start, rows = 0, 256
    while start < n:
        stop = min(n, start + rows)
        blk = s[start:stop]
        # a box j can overlap a box i of the block only if
        # x1_j > x1_i - max_w and x1_j < x2_i
        lo = int(np.searchsorted(left, blk[:, 0].min() - max_w, 'right'))
        hi = int(np.searchsorted(left, blk[:, 2].max(), 'left'))
        if (stop - start) * (hi - lo) > _BLOCK_PAIRS and stop - start > 1:
            rows = max(1, rows // 2)  # too many pairs at once: fewer rows
            continue
        iou = aligned_box_iou(blk[:, None], s[None, lo:hi])
        # a box is not its own neighbour
        own = np.arange(start, stop)
        inside = (own >= lo) & (own < hi)
        iou[np.nonzero(inside)[0], own[inside] - lo] = 0.0
        if iou.shape[1]:
            best[start:stop] = iou.max(axis=1)
        if (stop - start) * (hi - lo) * 4 < _BLOCK_PAIRS:
            rows *= 2  # room for more rows
        start = stop
    out[order] = best
    return out
