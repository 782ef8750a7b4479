from .box_crops import BoxCropList, BoxCrops, crop_windows
from .box_jitter_crop import BoxJitterCrop, mask_box
from .formatting import PackBoxCasegInputs, PackBoxImageInputs
from .loading import (LoadBoxImage, LoadImageOrSkip, LoadSalientMask,
                      read_image)
from .paste_occluder import PasteOccluder

# LoadProxyAnnotations and PackProxyDetInputs (stage 3, mmdet's transforms)
# are imported by mmboxcaseg.datasets when mmcv's compiled ops exist.
__all__ = [
    'BoxCropList', 'BoxCrops', 'crop_windows', 'BoxJitterCrop', 'mask_box',
    'PackBoxCasegInputs', 'PackBoxImageInputs', 'LoadBoxImage',
    'LoadImageOrSkip', 'LoadSalientMask', 'PasteOccluder', 'read_image'
]
