"""The one COCO mask codec: segmentation -> RLE, masks -> RLE, IoU.

RLEs are dicts ``{'size': [H, W], 'counts': str}`` (``counts`` decoded from
pycocotools' bytes, so they go into json as they are).
"""
from typing import List, Optional

import numpy as np
import pycocotools.mask as mask_utils

from .coco_index import is_number


def segmentation_to_rle(segmentation, height: int,
                        width: int) -> Optional[dict]:
    """A GT ``segmentation`` (polygons, RLE or uncompressed RLE) as one RLE.

    Polygons follow mmdet's rule: a polygon needs an even number of
    coordinates and at least 3 points; the others are dropped. The geometry
    is checked before pycocotools sees it (:func:`_check_polygon`,
    :func:`_check_runs`): it crashes on a NaN vertex or on runs that
    overflow the mask, and rasterises a polygon in memory proportional to
    its length (a vertex at 1e9: tens of GB).

    Returns:
        dict | None: the RLE (``counts`` may be bytes or str), None for a
        missing or empty segmentation or one without a valid polygon.

    Raises:
        ValueError: a segmentation pycocotools cannot read, a polygon with a
            coordinate that is not a finite number within one image size of
            the image, uncompressed RLE runs that do not cover the image, or
            an RLE whose size is not ``[height, width]``.
    """
    if not segmentation:
        return None
    try:
        if isinstance(segmentation, list):  # polygons
            polys = [
                p for p in segmentation if isinstance(p, list)
                and len(p) >= 6 and len(p) % 2 == 0
            ]
            if not polys:
                return None
            for p in polys:
                _check_polygon(p, height, width)
            return mask_utils.merge(
                mask_utils.frPyObjects(polys, height, width))
        if isinstance(segmentation, dict):
            if list(segmentation.get('size', [])) != [height, width]:
                raise ValueError(f'RLE size {segmentation.get("size")} is '
                                 f'not the image size {[height, width]}')
            if isinstance(segmentation.get('counts'), list):
                _check_runs(segmentation['counts'], height * width)
                return mask_utils.frPyObjects(segmentation, height, width)
            if isinstance(segmentation.get('counts'), (str, bytes)):
                return segmentation
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise ValueError(f'unreadable segmentation: {e}') from None
    raise ValueError(f'unreadable segmentation of type '
                     f'{type(segmentation).__name__}')


def _check_polygon(poly: list, height: int, width: int) -> None:
    """Refuse a polygon coordinate that is not a finite number or lies
    more than one image size outside the image (no annotation of the image
    does; pycocotools would rasterise the whole length of such an edge)."""
    if not all(is_number(v) for v in poly):
        raise ValueError('polygon coordinates must be numbers')
    try:
        xy = np.asarray(poly, dtype=np.float64).reshape(-1, 2)
    except OverflowError:  # an int of hundreds of digits
        raise ValueError('polygon has a coordinate that is not finite')
    if not np.isfinite(xy).all():
        raise ValueError('polygon has a coordinate that is not finite')
    size = np.array([width, height], dtype=np.float64)
    if (xy < -size).any() or (xy > 2 * size).any():
        raise ValueError(f'polygon has a vertex far outside the {width} x '
                         f'{height} image')


def _check_runs(counts: list, area: int) -> None:
    """Refuse uncompressed RLE runs that are not counts covering the
    ``area`` pixels of the mask exactly (pycocotools writes past the mask
    otherwise)."""
    if not all(type(v) is int and v >= 0 for v in counts) or \
            sum(counts) != area:
        raise ValueError('uncompressed RLE counts must be non-negative '
                         f'integers that sum to the mask area {area}')


def encode_masks(masks: np.ndarray) -> List[dict]:
    """Encode ``(N, H, W)`` bool masks as RLEs in one pycocotools call (no
    copy for the column-major layout of ``paste_masks(column_major=True)``)."""
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3:
        raise ValueError(f'masks must be (N, H, W), got {masks.shape}')
    if masks.shape[0] == 0:
        return []
    rles = mask_utils.encode(
        np.asfortranarray(masks.transpose(1, 2, 0)).view(np.uint8))
    return [{
        'size': [int(s) for s in r['size']],
        'counts': r['counts'].decode('ascii')
    } for r in rles]


def empty_rle(height: int, width: int) -> dict:
    """The RLE of an all-zero ``height x width`` mask (``[0, 0]`` allowed),
    made from its single run: nothing of the mask's size is allocated."""
    height, width = int(height), int(width)
    if height * width == 0:
        return {'size': [height, width], 'counts': ''}
    rle = mask_utils.frPyObjects(
        {'size': [height, width], 'counts': [height * width]}, height, width)
    return {'size': [height, width], 'counts': rle['counts'].decode('ascii')}


def rle_area(rle: dict) -> int:
    """Pixels of a compressed RLE (``counts`` a str), read from its runs:
    the mask is not decoded."""
    if not rle['counts']:
        return 0  # empty_rle(0, 0)
    return int(mask_utils.area(dict(rle, counts=rle['counts'].encode())))


def decode_rle(rle: dict) -> np.ndarray:
    """``(H, W)`` bool mask of one RLE."""
    if isinstance(rle.get('counts'), list):
        rle = mask_utils.frPyObjects(rle, *rle['size'])
    return mask_utils.decode(rle).astype(bool)


def paired_iou(masks: List[dict], gts: List[dict]) -> np.ndarray:
    """IoU of ``masks[i]`` with ``gts[i]`` (RLEs of one image).

    Returns:
        np.ndarray: (N,) float64.
    """
    if len(masks) != len(gts):
        raise ValueError(f'{len(masks)} masks paired with {len(gts)} GTs')
    if not masks:
        return np.zeros(0)
    ious = mask_utils.iou(list(masks), list(gts), [0] * len(gts))
    return np.diagonal(np.asarray(ious, dtype=np.float64)).copy()


def masks_to_coco_annotations(masks: np.ndarray, category_ids: np.ndarray,
                              image_id: int, first_ann_id: int) -> List[dict]:
    """COCO annotation dicts (RLE ``segmentation``, tight ``bbox`` xywh,
    ``area`` = mask pixels, ``iscrowd`` 0) of (N, H, W) bool masks."""
    rles = encode_masks(masks)
    if not rles:
        return []
    bboxes = mask_utils.toBbox(rles)
    areas = mask_utils.area(rles)
    return [{
        'id': first_ann_id + i,
        'image_id': image_id,
        'category_id': int(cat),
        'bbox': [float(v) for v in bbox],
        'area': int(area),
        'iscrowd': 0,
        'segmentation': rle
    } for i, (rle, bbox, area,
              cat) in enumerate(zip(rles, bboxes, areas, category_ids))]
