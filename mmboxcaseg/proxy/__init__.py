"""Stage 2: proxy masks from boxes (generate, merge, drop), see
docs/proxy_masks.md."""
from .drop import (aligned_box_iou, box_agreement, drop_by_box_agreement,
                   is_dropped, mask_tight_boxes)
from .image_records import ProxySettings, image_records
from .merge import merge_smaller_first
from .options import ProxyInputError, ProxyOptions, check_options
from .report import build_report, format_report
from .run import generate_proxy_masks, proxy_config
from .writer import ProxyMaskWriter

__all__ = [
    'merge_smaller_first', 'drop_by_box_agreement', 'box_agreement',
    'is_dropped', 'mask_tight_boxes', 'aligned_box_iou', 'ProxySettings',
    'image_records', 'ProxyOptions', 'ProxyInputError', 'check_options',
    'generate_proxy_masks', 'proxy_config', 'ProxyMaskWriter',
    'build_report', 'format_report'
]
