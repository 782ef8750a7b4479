"""Let configs elsewhere inherit ours: ``_base_ = ['mmboxcaseg::boxcaseg/x.py']``.

MMEngine resolves ``pkg::path`` through two things that do not know a plugin:
``MODULE2PACKAGE`` (a fixed list of OpenMMLab packages) and
``get_installed_path``, which joins the distribution's location with the
package name. For an editable (PEP 660) install that location is
``site-packages`` while the package lives in the source tree, so the joined
path does not exist. Importing mmboxcaseg registers the scope and, for this
package only, falls back to the directory the package was imported from
(which holds the ``.mim`` folder made by ``setup.py``).
"""
import os.path as osp

PACKAGE = 'mmboxcaseg'


def enable_mim_scope() -> None:
    """Make ``mmboxcaseg::`` config paths resolvable (idempotent)."""
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils

    config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    original = config_module.get_installed_path
    if getattr(original, '_mmboxcaseg_patched', False):
        return

    def get_installed_path(package: str) -> str:
        path = original(package)
        if package == PACKAGE and not osp.isdir(osp.join(path, '.mim')):
            here = osp.dirname(osp.dirname(osp.abspath(__file__)))
            if osp.isdir(osp.join(here, '.mim')):
                return here
        return path

    get_installed_path._mmboxcaseg_patched = True
    config_module.get_installed_path = get_installed_path
