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


def test_pure_python_config_trains_under_mmdets_train_py(tmp_path):
    """A project elsewhere names mmboxcaseg only by import: the pure-Python
    config style (``read_base``) needs no scope registration, so mmdet's
    own ``tools/train.py`` trains our segmentor (one iteration, fresh
    interpreter, run from outside this repository)."""
    import subprocess
    import sys

    import mmdet
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'test_datasets'))
    from boxcaseg_tiny_data import (tiny_cpu_options, write_coco,
                                    write_salient)
    train_py = os.path.join(
        os.path.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    assert os.path.isfile(train_py), train_py
    box_root, ann = write_coco(tmp_path / 'coco')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(8)])
    cfg = tmp_path / 'my_boxcaseg.py'
    cfg.write_text(
        'from mmengine.config import read_base\n\n'
        'with read_base():\n'
        '    from mmboxcaseg.configs.boxcaseg_effnet_lite0_cpu_coco128 '
        'import *  # noqa\n\n'
        'train_cfg.update(max_iters=1, val_interval=1)\n'
        'default_hooks.checkpoint.update(interval=1)\n'
        'model.backbone.init_cfg = None\n')
    opts = [
        'train_dataloader.batch_size=4',
        'train_dataloader.batch_sampler.box_ratio=[1,1]',
    ] + tiny_cpu_options(box_root, ann, sal_root)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)
    proc = subprocess.run(
        [sys.executable, train_py,
         str(cfg), '--work-dir',
         str(tmp_path / 'work'), '--cfg-options'] + opts,
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert 'boxmask/mIoU*' in proc.stdout + proc.stderr
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()
