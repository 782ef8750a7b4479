from .checkpoint import (CheckpointRefused, explain_refusal, is_refusal,
                         register_safe_globals)
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'register_safe_globals', 'CheckpointRefused',
    'explain_refusal', 'is_refusal'
]
