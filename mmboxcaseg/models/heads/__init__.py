from .boxcaseg_head import BoxCasegHead
from .mask_quality_head import MaskQualityHead
from .transferred_head import TransferredHead

__all__ = ['BoxCasegHead', 'MaskQualityHead', 'TransferredHead']
