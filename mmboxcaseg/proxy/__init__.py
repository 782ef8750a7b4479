"""Stage 2: proxy masks from boxes (generate, merge, drop), see
docs/proxy_masks.md."""
from .coco_input import (SKIP_REASONS, ProxyInput, ProxyInputError,
                         load_proxy_input)
from .converter import ProxyOptions, generate_proxy_masks
from .drop import aligned_box_iou, drop_by_box_agreement, mask_tight_boxes
from .generators import (BaseProxyGenerator, BoxCasegGenerator,
                         BoxFillGenerator, GrabCutGenerator)
from .merge import merge_smaller_first
from .report import build_report, format_report
from .rle import empty_rle, encode_masks
from .timers import StageTimers

__all__ = [
    'merge_smaller_first', 'drop_by_box_agreement', 'mask_tight_boxes',
    'aligned_box_iou', 'BaseProxyGenerator', 'BoxFillGenerator',
    'GrabCutGenerator', 'BoxCasegGenerator', 'ProxyOptions',
    'generate_proxy_masks', 'ProxyInput', 'ProxyInputError',
    'load_proxy_input', 'SKIP_REASONS', 'build_report', 'format_report',
    'encode_masks', 'empty_rle', 'StageTimers'
]
