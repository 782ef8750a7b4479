from .hrnetv2_concat import HRNetV2Concat

__all__ = ['HRNetV2Concat']
