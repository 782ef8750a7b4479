from .bilinear_resize import (bilinear_source_index, crop_and_resize,
                              resize_to_sizes)
from .weight_transfer import WeightTransfer

__all__ = [
    'WeightTransfer', 'bilinear_source_index', 'crop_and_resize',
    'resize_to_sizes'
]
