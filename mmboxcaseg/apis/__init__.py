from .inference import init_segmentor, predict_region_masks, segment_boxes

__all__ = ['init_segmentor', 'predict_region_masks', 'segment_boxes']
