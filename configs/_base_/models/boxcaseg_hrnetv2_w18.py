# HRNetV2-W18: branches 18 / 36 / 72 / 144 -> 270 channels.
# ImageNet weights: as in boxcaseg_hrnetv2_w48.py, with mmpretrain's W18
# checkpoint (e.g. hrnet-w18_3rdparty_8xb32_in1k_20220120-0c10b180.pth).
_base_ = './boxcaseg_hrnetv2_w48.py'

model = dict(
    backbone=dict(arch='w18'),
    neck=dict(in_channels=[18, 36, 72, 144]),
    weak_head=dict(in_channels=270),
    salient_head=dict(in_channels=270),
    transferred_head=dict(in_channels=270))
