"""Binary masks -> COCO instance annotations (RLE, tight box, area)."""
from typing import List

import numpy as np


def masks_to_coco_annotations(masks: np.ndarray, category_ids: np.ndarray,
                              image_id: int, first_ann_id: int) -> List[dict]:
    """COCO annotation dicts (RLE ``segmentation``, tight ``bbox`` xywh,
    ``area`` = mask pixels, ``iscrowd`` 0) of (N, H, W) bool masks."""
    from pycocotools import mask as mask_utils
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(
        np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    bboxes = mask_utils.toBbox(rles)
    areas = mask_utils.area(rles)
    anns = []
    for i, (rle, bbox, area,
            cat) in enumerate(zip(rles, bboxes, areas, category_ids)):
        anns.append({
            'id': first_ann_id + i,
            'image_id': image_id,
            'category_id': int(cat),
            'bbox': [float(v) for v in bbox],
            'area': int(area),
            'iscrowd': 0,
            'segmentation': {
                'size': [int(v) for v in rle['size']],
                'counts': rle['counts'].decode('ascii')
            }
        })
    return anns
