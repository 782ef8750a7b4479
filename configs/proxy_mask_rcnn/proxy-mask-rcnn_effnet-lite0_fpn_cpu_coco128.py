# The coco128 CPU Proxy Mask R-CNN with an ImageNet EfficientNet-Lite0
# backbone (../_base_/models/effnet_lite0_backbone.py) instead of a
# from-scratch R-50 (timings: docs/model_zoo.md). Make the weights once:
#   python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
#       --out checkpoints/efficientnet_lite0_mmboxcaseg.pth
# or train from random weights with --cfg-options model.backbone.init_cfg=None
_base_ = [
    './proxy-mask-rcnn_r50_fpn_cpu_coco128.py',
    '../_base_/models/effnet_lite0_backbone.py'
]

# the backbone's weights (the R-50 base's `pretrained` names ResNet-50's)
pretrained = _base_.effnet_lite0.init_cfg.checkpoint

model = dict(
    backbone=dict(_delete_=True, **_base_.effnet_lite0),
    neck=dict(in_channels=[24, 40, 112, 320]))

# the R-50's schedule stretched to 600 iterations: the step stays at 80 %
max_iters = 600
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = _base_.param_scheduler  # [LinearLR, MultiStepLR]
param_scheduler[1].update(end=max_iters, milestones=[int(max_iters * 0.8)])
default_hooks = dict(checkpoint=dict(interval=max_iters))
