# Proxy Mask R-CNN R-101-FPN on PASCAL VOC 2012 (the paper's main VOC model).
_base_ = ['./proxy-mask-rcnn_r50_fpn_voc.py']

# ImageNet ResNet-101 as a local file (see proxy-mask-rcnn_r50_fpn_1x_coco.py)
pretrained = 'checkpoints/resnet101-63fe2227.pth'

model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
