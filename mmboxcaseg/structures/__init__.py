from .box_region import box_regions, paste_masks
from .coco_masks import masks_to_coco_annotations

__all__ = ['box_regions', 'paste_masks', 'masks_to_coco_annotations']
