"""mmboxcaseg: bounding boxes to instance masks (BoxCaseg) for OpenMMLab."""
import mmcv
import mmdet
import mmengine
from mmengine.utils import digit_version

from .utils.checkpoint import register_safe_globals
from .utils.shipped_configs import config_path
from .version import __version__, version_info

mmcv_minimum_version = '2.1.0'
mmcv_maximum_version = '2.2.0'
mmengine_minimum_version = '0.10.4'
mmengine_maximum_version = '0.11.0'
mmdet_minimum_version = '3.3.0'
mmdet_maximum_version = '3.4.0'


def _check(name, version, low, high):
    if not digit_version(low) <= digit_version(version) < digit_version(
            high):
        raise ImportError(
            f'mmboxcaseg {__version__} needs {low} <= {name} < {high}, but '
            f'{name} {version} is installed. Run `bash tools/setup_env.sh` '
            f'(or see docs/get_started.md) to install matching versions.')


_check('mmcv', mmcv.__version__, mmcv_minimum_version, mmcv_maximum_version)
_check('mmengine', mmengine.__version__, mmengine_minimum_version,
       mmengine_maximum_version)
_check('mmdet', mmdet.__version__, mmdet_minimum_version,
       mmdet_maximum_version)

# torch >= 2.6 loads checkpoints with weights_only=True: allow-list the types
# MMEngine itself writes so that resuming works without disabling the check.
register_safe_globals()

__all__ = ['__version__', 'version_info', 'config_path']
