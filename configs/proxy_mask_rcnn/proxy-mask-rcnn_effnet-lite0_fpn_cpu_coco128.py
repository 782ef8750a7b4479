# The coco128 CPU Proxy Mask R-CNN with an ImageNet EfficientNet-Lite0
# backbone (24/40/112/320 channels at strides 4/8/16/32) instead of a
# from-scratch R-50 (timings: docs/model_zoo.md). Make the weights once:
#   python tools/model_converters/efficientnet_lite0_to_mmboxcaseg.py \
#       --out checkpoints/efficientnet_lite0_mmboxcaseg.pth
# or train from random weights with --cfg-options model.backbone.init_cfg=None
_base_ = ['./proxy-mask-rcnn_r50_fpn_cpu_coco128.py']

pretrained = 'checkpoints/efficientnet_lite0_mmboxcaseg.pth'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TIMMBackbone',
        model_name='efficientnet_lite0',
        features_only=True,
        out_indices=(1, 2, 3, 4),
        pretrained=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(in_channels=[24, 40, 112, 320]))

max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[int(max_iters * 0.8)],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
