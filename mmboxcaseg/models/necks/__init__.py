from .upsample_concat import UpsampleConcat

__all__ = ['UpsampleConcat']
