from mmboxcaseg.registry import METRICS
from mmboxcaseg.utils.compiled_ops import (have_compiled_ops,
                                           register_stage3_placeholders)
from .box_mask_metric import BoxMaskMetric, RecordPool

__all__ = ['BoxMaskMetric', 'RecordPool']

if have_compiled_ops():  # mmdet's CocoMetric: stage 3
    from .voc_mask_metric import VOCMaskMetric
    __all__ += ['VOCMaskMetric']
else:
    register_stage3_placeholders(METRICS, ('VOCMaskMetric', ))
