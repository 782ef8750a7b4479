from .checkpoint import (CheckpointRefused, explain_refusal, is_refusal,
                         load_checkpoint_file, register_safe_globals)
from .setup_env import register_all_modules
from .user_errors import (UserError, check_dir, check_out_file,
                          config_errors, exit_on_user_error, make_dir)

__all__ = [
    'register_all_modules', 'register_safe_globals', 'CheckpointRefused',
    'explain_refusal', 'is_refusal', 'load_checkpoint_file', 'UserError',
    'exit_on_user_error', 'config_errors', 'check_dir', 'check_out_file',
    'make_dir'
]
