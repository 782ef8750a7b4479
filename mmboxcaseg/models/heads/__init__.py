from .boxcaseg_head import BoxCasegHead
from .mask_quality_head import MaskQualityHead, mask_iou_targets
from .transferred_head import TransferredHead

__all__ = [
    'BoxCasegHead', 'MaskQualityHead', 'TransferredHead', 'mask_iou_targets'
]
