# Proxy Mask R-CNN (BoxCaseg stage 3): stock mmdet Mask R-CNN R-50-FPN 1x,
# trained on COCO's real boxes + proxy masks. A proxy mask flagged
# `mask_ignored` (dropped by "proxy box agreement") trains the RPN and the box
# head but not the mask head. Evaluated on COCO val2017's real masks.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']

# Bare type names resolve in our registries first, then mmdet's/mmengine's.
# mmengine tags every dict inherited from an `mmdet::` base with
# `_scope_='mmdet'`, which would hide our types: the dicts below that hold
# them are re-tagged `_scope_='mmboxcaseg'`.
default_scope = 'mmboxcaseg'

# ImageNet ResNet-50 as a local file: mmdet's `torchvision://resnet50` needs
# internet. Get it once (e.g. torchvision's resnet50-0676ba61.pth) and put it
# here, or override on the command line:
#   --cfg-options model.backbone.init_cfg.checkpoint=/path/to/resnet50.pth
#   --cfg-options model.backbone.init_cfg=None      (train from scratch)
pretrained = 'checkpoints/resnet50-0676ba61.pth'
# written by tools/generate_proxy_masks.py, relative to the data root
proxy_ann_file = 'annotations/instances_train2017_proxy.json'

model = dict(
    _scope_='mmboxcaseg',
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(
        type='IgnoreAwareRoIHead',
        mask_head=dict(type='IgnoreAwareFCNMaskHead')))

train_pipeline = [
    # an image that does not decode skips its sample, counted (mmboxcaseg)
    dict(type='LoadImageOrSkip'),
    dict(type='LoadProxyAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackProxyDetInputs')
]
train_dataloader = dict(
    dataset=dict(
        _scope_='mmboxcaseg',
        type='ProxyCocoDataset',
        ann_file=proxy_ann_file,
        pipeline=train_pipeline))
