"""COCO RLE helpers for proxy masks (``counts`` stored as ``str``)."""
from typing import List, Optional

import numpy as np
import pycocotools.mask as mask_utils


def encode_masks(masks: np.ndarray) -> List[dict]:
    """Encode masks as COCO RLEs, all in one pycocotools call.

    Args:
        masks (np.ndarray): (N, H, W) bool; no copy is made when it is a
            column-major view (:func:`column_major_zeros`).

    Returns:
        list[dict]: N dicts ``{'size': [H, W], 'counts': str}``.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3:
        raise ValueError(f'masks must be (N, H, W), got {masks.shape}')
    if masks.shape[0] == 0:
        return []
    # (H, W, N) in Fortran order: free for a column-major view
    rles = mask_utils.encode(
        np.asfortranarray(masks.transpose(1, 2, 0)).view(np.uint8))
    return [{
        'size': [int(s) for s in r['size']],
        'counts': r['counts'].decode('ascii')
    } for r in rles]


def column_major_zeros(n: int, height: int, width: int) -> np.ndarray:
    """All-False (N, H, W) bool masks stored column-major per mask: a view
    of a C-ordered (N, W, H) array. pycocotools encodes this layout without
    a copy, and numpy's elementwise operations keep it."""
    return np.zeros((n, width, height), dtype=bool).transpose(0, 2, 1)


def empty_rle(height: int, width: int) -> dict:
    """The RLE of an all-zero ``height x width`` mask (``[0, 0]`` allowed)."""
    height, width = int(height), int(width)
    if height * width == 0:
        return {'size': [height, width], 'counts': ''}
    return encode_masks(np.zeros((1, height, width), dtype=bool))[0]


def gt_rle(segmentation, height: int, width: int) -> Optional[dict]:
    """A GT ``segmentation`` (polygons, RLE or uncompressed RLE) as one RLE.

    Returns None for a missing or empty segmentation; raises ValueError for
    one pycocotools cannot read.
    """
    if not segmentation:
        return None
    try:
        if isinstance(segmentation, list):  # polygons
            polys = [p for p in segmentation if len(p) >= 6]
            if not polys:
                return None
            return mask_utils.merge(
                mask_utils.frPyObjects(polys, height, width))
        if isinstance(segmentation, dict):
            if isinstance(segmentation.get('counts'), list):
                return mask_utils.frPyObjects(segmentation, height, width)
            if list(segmentation.get('size', [])) != [height, width]:
                raise ValueError(f'RLE size {segmentation.get("size")} is '
                                 f'not the image size {[height, width]}')
            return segmentation
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise ValueError(f'unreadable segmentation: {e}') from None
    raise ValueError(f'unreadable segmentation of type '
                     f'{type(segmentation).__name__}')


def paired_iou(proxies: List[dict], gts: List[dict]) -> np.ndarray:
    """IoU of ``proxies[i]`` with ``gts[i]`` via ``pycocotools.mask.iou``.

    Computes the (N, N) matrix of one image and keeps its diagonal.

    Returns:
        np.ndarray: (N,) float64.
    """
    if len(proxies) != len(gts):
        raise ValueError(f'{len(proxies)} proxies paired with {len(gts)} GTs')
    if not proxies:
        return np.zeros(0)
    ious = mask_utils.iou(list(proxies), list(gts), [0] * len(gts))
    return np.diagonal(np.asarray(ious, dtype=np.float64)).copy()
