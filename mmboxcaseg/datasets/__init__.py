from mmboxcaseg.registry import DATASETS, TRANSFORMS
from mmboxcaseg.utils.compiled_ops import (have_compiled_ops,
                                           register_stage3_placeholders)
from . import transforms  # noqa: F401  (registers the transforms)
from .box_crop_dataset import BoxCropDataset
from .box_image_dataset import BoxImageDataset
from .salient_dataset import SalientDataset
from .samplers import RatioBatchSampler
from .synthetic import SYNTHETIC_CLASSES, generate_synthetic_dataset

__all__ = [
    'BoxCropDataset', 'BoxImageDataset', 'SalientDataset',
    'RatioBatchSampler', 'SYNTHETIC_CLASSES',
    'generate_synthetic_dataset'
]

# stage 3 (Proxy Mask R-CNN) builds on mmdet's data sets: mmcv.ops needed
if have_compiled_ops():
    from .proxy_coco import ProxyCocoDataset, SyntheticShapesDataset
    from .transforms.proxy_loading import (LoadProxyAnnotations,
                                           PackProxyDetInputs)
    __all__ += [
        'ProxyCocoDataset', 'SyntheticShapesDataset', 'LoadProxyAnnotations',
        'PackProxyDetInputs'
    ]
else:
    register_stage3_placeholders(
        DATASETS, ('ProxyCocoDataset', 'SyntheticShapesDataset'))
    register_stage3_placeholders(
        TRANSFORMS, ('LoadProxyAnnotations', 'PackProxyDetInputs'))
