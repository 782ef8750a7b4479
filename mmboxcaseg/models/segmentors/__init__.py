from .boxcaseg import BoxCaseg
from .region_masks import logits_to_region_masks

__all__ = ['BoxCaseg', 'logits_to_region_masks']
