"""Tight (no context) box crop for evaluation and proxy-mask inference.

The crop is exactly the pixel region of the box given by
:func:`mmboxcaseg.structures.box_regions`; the predicted mask, resized back to
that region, is then compared with the GT mask cropped to the same region.
Resizing the crop (to 320 x 320 in the paper) is left to mmcv's ``Resize``
that follows in the pipeline.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from pycocotools import mask as mask_utils

from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.structures import box_regions


def segmentation_to_rle(segmentation, height: int, width: int) -> dict:
    """One COCO RLE from polygons, uncompressed or compressed RLE.

    Polygons with fewer than 3 points are dropped (as in mmdet); none left
    gives an empty mask.
    """
    if isinstance(segmentation, list):
        polys = [p for p in segmentation if len(p) >= 6 and len(p) % 2 == 0]
        if not polys:
            return mask_utils.encode(
                np.zeros((height, width), dtype=np.uint8, order='F'))
        return mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
    if isinstance(segmentation, dict) and isinstance(
            segmentation.get('counts'), list):
        return mask_utils.frPyObjects(segmentation, height, width)
    if isinstance(segmentation, dict) and 'counts' in segmentation:
        return segmentation
    raise TypeError(f'unknown segmentation format {type(segmentation)}')


@TRANSFORMS.register_module()
class TightBoxCrop(BaseTransform):
    """Crop the box's pixel region; decode this instance's GT mask there.

    Required keys: ``img``, ``bbox`` (xyxy, image coordinates); optional
    ``segmentation`` (COCO polygons / RLE of the instance), ``ann_id``,
    ``img_path``.
    Modified keys: ``img``, ``img_shape``.
    Added keys: ``box`` (the ``bbox`` as a float list), ``region`` (int
    ``x0, y0, x1, y1`` from :func:`box_regions`) and, when ``segmentation``
    is present, ``gt_mask_crop`` (uint8 ``[y1 - y0, x1 - x0]``, the GT mask
    inside the region) and ``gt_area`` (int, pixels of the whole GT mask).
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        box = np.asarray(results['bbox'], dtype=np.float64).reshape(4)
        x0, y0, x1, y1 = (int(v) for v in box_regions(box[None], (h, w))[0])
        seg = results.get('segmentation')
        if seg is not None:
            ann_h = results.get('height', h)
            ann_w = results.get('width', w)
            if (ann_h, ann_w) != (h, w):
                raise ValueError(
                    f'image {results.get("img_path")} is {h}x{w} (h x w) '
                    f'but its annotation (ann id {results.get("ann_id")}) '
                    f'says {ann_h}x{ann_w}')
            try:
                rle = segmentation_to_rle(seg, h, w)
            except (TypeError, ValueError) as e:
                raise ValueError(f'ann id {results.get("ann_id")} of image '
                                 f'{results.get("img_path")}: bad '
                                 f'segmentation ({e})') from None
            full = mask_utils.decode(rle)
            results['gt_mask_crop'] = np.ascontiguousarray(full[y0:y1, x0:x1])
            results['gt_area'] = int(mask_utils.area(rle))
        results['img'] = img[y0:y1, x0:x1]
        results['img_shape'] = (y1 - y0, x1 - x0)
        results['box'] = [float(v) for v in box]
        results['region'] = (x0, y0, x1, y1)
        return results
