from .box_jitter_crop import BoxJitterCrop, mask_box
from .formatting import PackBoxCasegInputs
from .loading import LoadSalientMask
from .tight_box_crop import TightBoxCrop, segmentation_to_rle
from .proxy_loading import LoadProxyAnnotations, PackProxyDetInputs

__all__ = [
    'BoxJitterCrop', 'mask_box', 'PackBoxCasegInputs', 'LoadSalientMask',
    'TightBoxCrop', 'segmentation_to_rle', 'LoadProxyAnnotations',
    'PackProxyDetInputs'
]
