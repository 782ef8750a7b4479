"""Stage 2: proxy masks from boxes (generate, merge, drop), see
docs/proxy_masks.md."""
from .options import ProxyInputError, ProxyOptions, check_options
from .report import build_report, format_report
from .run import generate_proxy_masks, proxy_config
from .shard_sampler import ProxyShardSampler
from .writer import ProxyMaskWriter

__all__ = [
    'ProxyOptions', 'ProxyInputError', 'check_options',
    'generate_proxy_masks', 'proxy_config', 'ProxyMaskWriter',
    'ProxyShardSampler', 'build_report', 'format_report'
]
