"""A tiny BoxCaseg config file (random weights) for the inference API."""
import pytest

TINY_CONFIG = """
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
    neck=dict(type='HRNetV2Concat', in_channels=[4, 8, 16, 32]),
    weak_head=dict(type='BoxCasegHead', in_channels=60),
    salient_head=dict(type='BoxCasegHead', in_channels=60),
    transferred_head=dict(type='TransferredHead', in_channels=60),
    test_cfg=dict(pred='mixed', mask_thr=0.5))
"""


@pytest.fixture
def tiny_config(tmp_path):
    """Path of a config file of a tiny three-head BoxCaseg."""
    path = tmp_path / 'tiny_boxcaseg.py'
    path.write_text(TINY_CONFIG)
    return str(path)
