"""A project outside this repo inherits our configs with ``mmboxcaseg::``."""
import glob
import os

import pytest
from mmengine.config import Config

import mmboxcaseg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _some_config():
    cands = sorted(glob.glob(os.path.join(ROOT, 'configs', '*', '*.py')))
    cands = [c for c in cands if '_base_' not in c]
    if not cands:
        pytest.fail('the package ships no config under configs/')
    return os.path.relpath(cands[0], os.path.join(ROOT, 'configs'))


def test_mim_folder_exposes_configs():
    mim = os.path.join(os.path.dirname(mmboxcaseg.__file__), '.mim')
    assert os.path.isdir(os.path.join(mim, 'configs')), \
        'mmboxcaseg/.mim/configs is missing: reinstall with pip install -e .'
    assert os.path.isdir(os.path.join(mim, 'tools'))


def test_downstream_base_resolves(tmp_path):
    rel = _some_config()
    ours = Config.fromfile(os.path.join(ROOT, 'configs', rel))
    cfg_file = tmp_path / 'downstream.py'
    cfg_file.write_text(f"_base_ = ['mmboxcaseg::{rel}']\n"
                        "work_dir = 'downstream_work_dir'\n")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.work_dir == 'downstream_work_dir'
    assert cfg.model.type == ours.model.type
    assert cfg.default_scope == 'mmboxcaseg'


def test_downstream_model_builds(tmp_path):
    from mmboxcaseg.registry import MODELS
    from mmboxcaseg.utils import register_all_modules
    register_all_modules()
    rel = 'boxcaseg/' + os.path.basename(_first_boxcaseg_cpu_config())
    cfg_file = tmp_path / 'downstream.py'
    cfg_file.write_text(f"_base_ = ['mmboxcaseg::{rel}']\n"
                        "model = dict(backbone=dict(init_cfg=None))\n")
    cfg = Config.fromfile(str(cfg_file))
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def _first_boxcaseg_cpu_config():
    cands = sorted(glob.glob(os.path.join(ROOT, 'configs', 'boxcaseg',
                                          '*cpu*.py')))
    if not cands:
        pytest.fail('no CPU BoxCaseg config in configs/boxcaseg/')
    return cands[0]
