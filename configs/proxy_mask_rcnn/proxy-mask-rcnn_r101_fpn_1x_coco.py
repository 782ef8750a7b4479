# Proxy Mask R-CNN with ResNet-101-FPN (the paper's COCO model), 1x schedule.
_base_ = ['./proxy-mask-rcnn_r50_fpn_1x_coco.py']

# ImageNet ResNet-101 as a local file (see the R-50 config)
pretrained = 'checkpoints/resnet101-63fe2227.pth'

model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
