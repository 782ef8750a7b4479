from .box_region import box_regions, paste_masks

__all__ = ['box_regions', 'paste_masks']
