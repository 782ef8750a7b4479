from .ratio_batch_sampler import RatioBatchSampler
from .shard_sampler import ProxyShardSampler

__all__ = ['RatioBatchSampler', 'ProxyShardSampler']
