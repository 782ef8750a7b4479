from .weight_transfer import WeightTransfer

__all__ = ['WeightTransfer']
