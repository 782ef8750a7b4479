from .ratio_batch_sampler import RatioBatchSampler

__all__ = ['RatioBatchSampler']
