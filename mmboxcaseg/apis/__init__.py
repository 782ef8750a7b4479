from .inference import (config_crop_size, init_segmentor, predict_region_masks,
                        segment_boxes)

__all__ = [
    'config_crop_size', 'init_segmentor', 'predict_region_masks',
    'segment_boxes'
]
