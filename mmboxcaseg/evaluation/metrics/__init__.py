from .box_mask_metric import BoxMaskMetric, region_iou
from .voc_mask_metric import VOCMaskMetric

__all__ = ['BoxMaskMetric', 'region_iou', 'VOCMaskMetric']
