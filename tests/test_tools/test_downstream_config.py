"""How a project outside this repo inherits our text configs.

MMEngine resolves ``_base_ = ['pkg::path']`` only for the OpenMMLab
packages it lists, so ``mmboxcaseg::`` is refused with MMEngine's own
error; ``_base_`` by path works, relative to a clone or as the absolute
path of the installed copy (``mmboxcaseg.config_path``).
"""
import os
import subprocess
import sys

import pytest
from mmengine.config import Config

import mmboxcaseg

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CPU = 'boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'


def test_mim_folder_exposes_configs():
    mim = os.path.join(os.path.dirname(mmboxcaseg.__file__), '.mim')
    assert os.path.isdir(os.path.join(mim, 'configs')), \
        'mmboxcaseg/.mim/configs is missing: reinstall with pip install -e .'
    assert os.path.isdir(os.path.join(mim, 'tools'))


def test_package_scope_is_refused_by_mmengine(tmp_path):
    cfg_file = tmp_path / 'downstream.py'
    cfg_file.write_text(f"_base_ = ['mmboxcaseg::{CPU}']\n")
    with pytest.raises(AssertionError,
                       match='mmengine does not support to load mmboxcaseg'):
        Config.fromfile(str(cfg_file))


def test_config_path_names_the_shipped_file():
    path = mmboxcaseg.config_path(CPU)
    assert os.path.isabs(path) and os.path.isfile(path)
    with open(path) as f, open(os.path.join(ROOT, 'configs', CPU)) as g:
        assert f.read() == g.read()
    with pytest.raises(FileNotFoundError, match='boxcaseg/nope.py'):
        mmboxcaseg.config_path('boxcaseg/nope.py')


def test_base_by_absolute_path_inherits_and_builds(tmp_path):
    from mmboxcaseg.registry import MODELS
    from mmboxcaseg.utils import register_all_modules
    register_all_modules()
    ours = Config.fromfile(os.path.join(ROOT, 'configs', CPU))
    cfg_file = tmp_path / 'downstream.py'
    cfg_file.write_text(f'_base_ = [{mmboxcaseg.config_path(CPU)!r}]\n'
                        "work_dir = 'downstream_work_dir'\n"
                        'model = dict(backbone=dict(init_cfg=None))\n')
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.work_dir == 'downstream_work_dir'
    assert cfg.default_scope == 'mmboxcaseg'
    assert cfg.train_cfg == ours.train_cfg
    assert cfg.model.type == ours.model.type == 'BoxCaseg'
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_base_relative_to_a_clone_trains_under_tools_train(tmp_path):
    """A config in another folder names ours by a path relative to itself
    and trains one iteration with this repo's ``tools/train.py`` (fresh
    interpreter, run from that folder)."""
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'test_datasets'))
    from boxcaseg_tiny_data import (tiny_cpu_options, write_coco,
                                    write_salient)
    box_root, ann = write_coco(tmp_path / 'coco')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(8)])
    rel = os.path.relpath(os.path.join(ROOT, 'configs', CPU), tmp_path)
    cfg = tmp_path / 'my_boxcaseg.py'
    cfg.write_text(f'_base_ = [{rel!r}]\n'
                   'train_cfg = dict(max_iters=1, val_interval=1)\n'
                   'default_hooks = dict(checkpoint=dict(interval=1))\n'
                   'model = dict(backbone=dict(init_cfg=None))\n')
    opts = [
        'train_dataloader.batch_size=4',
        'train_dataloader.batch_sampler.box_ratio=[1,1]',
    ] + tiny_cpu_options(box_root, ann, sal_root)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)
    proc = subprocess.run(
        [sys.executable,
         os.path.join(ROOT, 'tools', 'train.py'),
         str(cfg), '--work-dir',
         str(tmp_path / 'work'), '--cfg-options'] + opts,
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert 'boxmask/mIoU*' in proc.stdout + proc.stderr
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()
