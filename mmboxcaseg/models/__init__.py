from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403

from mmboxcaseg.registry import MODELS as _MODELS  # noqa: E402
from mmboxcaseg.utils.compiled_ops import (  # noqa: E402
    have_compiled_ops, register_stage3_placeholders)

if have_compiled_ops():
    from .roi_heads import *  # noqa: F401,F403
else:
    register_stage3_placeholders(
        _MODELS, ('IgnoreAwareRoIHead', 'IgnoreAwareFCNMaskHead'))
