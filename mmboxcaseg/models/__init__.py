from .backbones import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403

try:  # stage 3's RoI heads (another part of the package) may be absent
    from .roi_heads import *  # noqa: F401,F403
except ModuleNotFoundError as e:  # pragma: no cover
    if e.name != __name__ + '.roi_heads':
        raise
