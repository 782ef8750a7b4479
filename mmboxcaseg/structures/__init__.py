from .box_region import box_regions, paste_masks
from .coco_index import (SKIP_REASONS, CocoFormatError, CocoIndex, ImageEntry,
                         index_coco)
from .coco_masks import (decode_rle, empty_rle, encode_masks,
                         masks_to_coco_annotations, paired_iou,
                         segmentation_to_rle)

__all__ = [
    'box_regions', 'paste_masks', 'SKIP_REASONS', 'CocoFormatError',
    'CocoIndex', 'ImageEntry', 'index_coco', 'decode_rle', 'empty_rle',
    'encode_masks', 'masks_to_coco_annotations', 'paired_iou',
    'segmentation_to_rle'
]
