from .ignore_aware_fcn_mask_head import IgnoreAwareFCNMaskHead
from .ignore_aware_roi_head import IgnoreAwareRoIHead
from .mask_ignore import (kept_positives, kept_share, mask_loss_keep,
                          scale_mask_loss, select_positives)

__all__ = [
    'IgnoreAwareFCNMaskHead', 'IgnoreAwareRoIHead', 'kept_positives',
    'kept_share', 'mask_loss_keep', 'scale_mask_loss', 'select_positives'
]
