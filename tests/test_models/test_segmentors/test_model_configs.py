import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmboxcaseg.models  # noqa: F401
from mmboxcaseg.registry import MODELS

CFG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'models')


def load(name):
    return Config.fromfile(osp.join(CFG_DIR, name))


@pytest.mark.parametrize('name,channels', [
    ('boxcaseg_hrnetv2_w48.py', [48, 96, 192, 384]),
    ('boxcaseg_hrnetv2_w18.py', [18, 36, 72, 144]),
    ('boxcaseg_effnet_lite0.py', [24, 40, 112, 320]),
])
def test_base_configs_are_consistent(name, channels):
    model = load(name).model
    assert model.neck.in_channels == channels
    for head in ('weak_head', 'salient_head', 'transferred_head'):
        assert model[head].in_channels == sum(channels)
    assert model.salient_weight == 0.7
    assert model.test_cfg.pred == 'mixed'
    assert model.pairwise_loss.loss_weight == 0.05


def test_hrnet_w48_uses_syncbn_and_no_pretrained_by_default():
    cfg = load('boxcaseg_hrnetv2_w48.py')
    assert cfg.pretrained is None
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'
    assert cfg.model.weak_head.norm_cfg.type == 'SyncBN'
    assert cfg.model.backbone.init_cfg[0].type == 'Kaiming'


@pytest.mark.parametrize(
    'name', ['boxcaseg_hrnetv2_w18.py', 'boxcaseg_effnet_lite0.py'])
def test_base_configs_build_and_run(name):
    cfg = load(name)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        logits = model(torch.zeros(1, 3, 64, 64))
    assert logits.shape == (1, 1, 64, 64)
