from .instance_iou import IOU_THRESHOLDS, summarize_instance_ious

__all__ = ['IOU_THRESHOLDS', 'summarize_instance_ious']
