from .functional import IOU_THRESHOLDS, summarize_instance_ious
from .metrics import BoxMaskMetric

__all__ = ['IOU_THRESHOLDS', 'summarize_instance_ious', 'BoxMaskMetric']
