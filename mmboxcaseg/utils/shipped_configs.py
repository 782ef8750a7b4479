"""Absolute path of a config shipped with mmboxcaseg.

The text configs under ``configs/`` are the only config source; an
installed mmboxcaseg carries them in ``mmboxcaseg/.mim/configs`` (made by
``setup.py``). A config elsewhere inherits one by path, ``_base_ =
['/abs/path.py']``: MMEngine resolves ``pkg::path`` only for the OpenMMLab
packages it lists, not for plugins.
"""
import os.path as osp

CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim',
                   'configs')


def config_path(name: str) -> str:
    """The absolute path of shipped config ``name``
    (``'boxcaseg/<config>.py'``), for a ``_base_`` or ``Config.fromfile``."""
    path = osp.join(CONFIGS, name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmboxcaseg ships no config {name} (looked in {CONFIGS}; '
            'without that folder reinstall with `pip install -e .`)')
    return path
