import logging
import os
import sys

import pytest

# tests/data holds the toy modules that tests/data/toy_config.py imports
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
if DATA not in sys.path:
    sys.path.insert(0, DATA)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def _log_to_current_stderr():
    """Every MMEngine Runner makes a logger whose console handler keeps the
    stream of the test that made it (a pytest capture, closed when that test
    ends); make all of them follow the current ``sys.stderr`` instead."""
    from mmengine.logging import MMLogger
    for logger in list(MMLogger._instance_dict.values()):
        for h in logger.handlers:
            if type(h) is logging.StreamHandler:
                h.stream = _CurrentStderr()
    yield


TINY_BOXCASEG = """
default_scope = 'mmboxcaseg'
model = dict(
    type='BoxCaseg',
    backbone=dict(
        type='mmpretrain.HRNet',
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                        num_blocks=(1, ), num_channels=(4, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC',
                        num_blocks=(1, 1), num_channels=(4, 8)),
            stage3=dict(num_modules=1, num_branches=3, block='BASIC',
                        num_blocks=(1, 1, 1), num_channels=(4, 8, 16)),
            stage4=dict(num_modules=1, num_branches=4, block='BASIC',
                        num_blocks=(1, 1, 1, 1), num_channels=(4, 8, 16, 32)),
        )),
    neck=dict(type='UpsampleConcat', in_channels=[4, 8, 16, 32]),
    weak_head=dict(type='BoxCasegHead', in_channels=60),
    salient_head=dict(type='BoxCasegHead', in_channels=60),
    transferred_head=dict(type='TransferredHead', in_channels=60),
    test_cfg=dict(pred='mixed', mask_thr=0.5))
test_pipeline = [
    dict(type='LoadBoxImage'),
    dict(type='BoxCrops', scale=32),
    dict(type='PackBoxImageInputs'),
]
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BoxImageDataset', ann_file='', pipeline=test_pipeline))
test_evaluator = dict(type='BoxMaskMetric')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    visualization=dict(type='BoxMaskVisualizationHook'))
visualizer = dict(type='BoxMaskVisualizer')
"""


@pytest.fixture
def tiny_boxcaseg(tmp_path):
    """``(config path, checkpoint path)`` of a tiny three-head BoxCaseg
    (HRNet with 4..32 channels, 32 px crops) with random, non-trivial
    weights."""
    import torch

    import mmboxcaseg  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmboxcaseg.registry import MODELS
    from mmengine.config import Config
    cfg_path = tmp_path / 'tiny_boxcaseg.py'
    cfg_path.write_text(TINY_BOXCASEG)
    init_default_scope('mmboxcaseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(cfg_path)).model)
    with torch.no_grad():  # heads far from their N(0, 0.001): not flat
        for head in (model.weak_head, model.salient_head):
            for conv in head.convs:
                conv.weight.normal_(0, 0.5)
    ckpt = tmp_path / 'tiny_boxcaseg.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    return str(cfg_path), str(ckpt)
