from .baselines import BoxFillSegmentor, GrabCutSegmentor
from .boxcaseg import BoxCaseg
from .region_masks import (fill_factor, mask_iou_targets, mask_scores,
                           normalise_minmax, region_masks, region_probs,
                           sample_region_masks)

__all__ = [
    'BoxCaseg', 'BoxFillSegmentor', 'GrabCutSegmentor', 'fill_factor',
    'mask_iou_targets', 'mask_scores', 'normalise_minmax', 'region_masks',
    'region_probs', 'sample_region_masks'
]
