from . import transforms  # noqa: F401  (registers the transforms)
from .box_crop_dataset import BoxCropDataset
from .proxy_coco import ProxyCocoDataset
from .salient_dataset import SalientDataset
from .samplers import RatioBatchSampler
from .synthetic import (SYNTHETIC_CLASSES, SyntheticShapesDataset,
                        generate_synthetic_dataset)

__all__ = [
    'BoxCropDataset', 'SalientDataset', 'RatioBatchSampler',
    'SYNTHETIC_CLASSES', 'SyntheticShapesDataset',
    'generate_synthetic_dataset', 'ProxyCocoDataset'
]
