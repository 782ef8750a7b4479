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
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'
    assert cfg.model.weak_head.norm_cfg.type == 'SyncBN'
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=None, prefix='backbone.')


def test_documented_checkpoint_option_loads_a_local_file(tmp_path):
    """``--cfg-options model.backbone.init_cfg.checkpoint=PATH`` (the docs)
    points the paper's backbone at a local file; unset, the log warns."""
    from mmengine.logging import MMLogger
    cfg = load('boxcaseg_hrnetv2_w18.py')
    torch.manual_seed(0)
    donor = MODELS.build(cfg.model)
    key = 'backbone.conv1.weight'
    state = {k: v for k, v in donor.state_dict().items()
             if k.startswith('backbone.')}
    state[key] = torch.full_like(state[key], 0.125)
    path = tmp_path / 'hrnet-w18_in1k.pth'
    torch.save(dict(state_dict=state), path)
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': str(path)})
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert (model.state_dict()[key] == 0.125).all()
    # without a checkpoint: the class's own init, and a loud warning
    log = tmp_path / 'init.log'
    MMLogger.get_instance('init_warning', log_file=str(log))
    plain = MODELS.build(load('boxcaseg_hrnetv2_w18.py').model)
    plain.init_weights()
    assert 'RANDOM weights' in log.read_text()
    assert not (plain.state_dict()[key] == 0.125).all()


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
