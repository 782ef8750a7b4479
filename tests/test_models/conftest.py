"""A BoxCaseg small enough to train a step in well under a second on CPU."""
import copy

import pytest

TINY_HRNET = dict(
    type='mmpretrain.HRNet',
    extra=dict(
        stage1=dict(
            num_modules=1,
            num_branches=1,
            block='BOTTLENECK',
            num_blocks=(1, ),
            num_channels=(4, )),
        stage2=dict(
            num_modules=1,
            num_branches=2,
            block='BASIC',
            num_blocks=(1, 1),
            num_channels=(4, 8)),
        stage3=dict(
            num_modules=1,
            num_branches=3,
            block='BASIC',
            num_blocks=(1, 1, 1),
            num_channels=(4, 8, 16)),
        stage4=dict(
            num_modules=1,
            num_branches=4,
            block='BASIC',
            num_blocks=(1, 1, 1, 1),
            num_channels=(4, 8, 16, 32))))

TINY_BOXCASEG = dict(
    type='BoxCaseg',
    backbone=TINY_HRNET,
    neck=dict(type='UpsampleConcat', in_channels=[4, 8, 16, 32]),
    weak_head=dict(type='BoxCasegHead', in_channels=60),
    salient_head=dict(type='BoxCasegHead', in_channels=60),
    transferred_head=dict(type='TransferredHead', in_channels=60),
    salient_weight=0.7,
    test_cfg=dict(pred='mixed', mask_thr=0.5))


@pytest.fixture
def tiny_cfg():
    """A fresh copy of the tiny BoxCaseg model config (60 channels)."""
    return copy.deepcopy(TINY_BOXCASEG)
