from .boxcaseg_head import BoxCasegHead
from .transferred_head import TransferredHead

__all__ = ['BoxCasegHead', 'TransferredHead']
