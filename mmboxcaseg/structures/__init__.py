from .box_agreement import (AGREEMENT_MODES, aligned_box_iou, box_agreement,
                            drop_by_box_agreement, is_dropped,
                            mask_tight_boxes)
from .box_crowding import neighbour_iou
from .box_region import box_regions, paste_masks
from .coco_index import (SKIP_REASONS, CocoFormatError, CocoIndex, ImageEntry,
                         index_coco)
from .coco_masks import (decode_rle, empty_rle, encode_masks,
                         masks_to_coco_annotations, paired_iou,
                         segmentation_to_rle)
from .mask_merge import merge_smaller_first, painting_rank

# where a training sample comes from (its metainfo ``source``, a data set's
# ``source``): a box-annotated set or a salient one
SOURCES = ('box', 'salient')

__all__ = [
    'SOURCES', 'box_regions', 'paste_masks', 'SKIP_REASONS', 'CocoFormatError',
    'CocoIndex', 'ImageEntry', 'index_coco', 'decode_rle', 'empty_rle',
    'encode_masks', 'masks_to_coco_annotations', 'paired_iou',
    'segmentation_to_rle', 'AGREEMENT_MODES', 'aligned_box_iou',
    'box_agreement', 'drop_by_box_agreement', 'is_dropped',
    'mask_tight_boxes', 'merge_smaller_first', 'painting_rank',
    'neighbour_iou'
]
