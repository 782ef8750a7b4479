# mmdet's own BoxInst on PennFudan pedestrians, trained on the train split's
# boxes alone: row (f) of the end-to-end comparison (`make e2e`,
# tools/pipelines.mk), beside the Proxy Mask R-CNN rows (a)-(e). BoxInst's
# mask loss needs no masks: a projection term against the boxes and a
# colour-similarity term that BoxInstDataPreprocessor derives from the image.
#
# Everything but the detector is the PennFudan Mask R-CNN's, read from its
# config so that the rows cannot drift apart: the ImageNet EfficientNet-Lite0
# backbone and its weights, a 64-wide FPN, the data splits, the train
# pipeline (input size, augmentation, undecodable images skipped) with
# `with_mask=False`, the evaluators (CocoMetric bbox + segm, VOCMaskMetric),
# the lr schedule's shape and batch 2. The model is mmdet's BoxInst config;
# its schedule is the best of those tried (docs/model_zoo.md, row f): twice
# the Mask R-CNN's iterations at lr 0.005. Make the backbone weights once:
#   python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
#       --out checkpoints/efficientnet_lite0_mmboxcaseg.pth
_base_ = ['mmdet::boxinst/boxinst_r50_fpn_ms-90k_coco.py']

# Two configs cannot both be bases here (mmengine refuses keys that two bases
# share, and both define every key), so the Mask R-CNN config is loaded with
# mmengine's Config, the one import mmengine allows in a text config; names
# that start with `__` stay out of the loaded config.
from mmengine import Config as __Config  # noqa: E402

__mask_rcnn = __Config.fromfile(
    '{{ fileDirname }}/../proxy_mask_rcnn/'
    'proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py')

# our dataset, transforms and metric first, then mmdet's types
default_scope = __mask_rcnn.default_scope

fpn_channels = __mask_rcnn.fpn_channels
# twice the Mask R-CNN's 1200 iterations (its colour term, which fills the
# masks, needs time: at 1200 they had not formed): more wall-clock than a
# Mask R-CNN row, as the comparison allows the peer
stretch = 2
max_iter = stretch * __mask_rcnn.max_iters
model = dict(
    backbone=dict(_delete_=True, **__mask_rcnn.model.backbone),
    # BoxInst's P3-P7 on the same backbone levels and width: P3-P5 from
    # strides 8-32, P6 / P7 by strided convs on P5
    neck=dict(
        in_channels=__mask_rcnn.model.neck.in_channels,
        out_channels=fpn_channels),
    bbox_head=dict(
        num_classes=len(__mask_rcnn.classes),
        in_channels=fpn_channels,
        feat_channels=fpn_channels),
    # mmdet ramps the colour-similarity term in over the first 10000 of its
    # 90000 iterations: the same share of this schedule, else the term
    # would never reach full weight
    mask_head=dict(
        warmup_iters=max_iter // 9,
        mask_feature_head=dict(in_channels=fpn_channels)))

data_root = __mask_rcnn.data_root
# boxes only: the same transforms, no masks loaded
train_pipeline = [
    dict(step, with_mask=False) if step.type == 'LoadProxyAnnotations'
    else step for step in __mask_rcnn.train_pipeline
]
train_dataloader = dict(
    __mask_rcnn.train_dataloader,
    _delete_=True,
    dataset=dict(__mask_rcnn.train_dataloader.dataset,
                 pipeline=train_pipeline))
test_pipeline = __mask_rcnn.test_pipeline
val_dataloader = dict(__mask_rcnn.val_dataloader, _delete_=True)
test_dataloader = val_dataloader
val_evaluator = __mask_rcnn.val_evaluator
test_evaluator = val_evaluator

# one validation, at the end: the one the comparison's table reads
train_cfg = dict(max_iters=max_iter, val_interval=max_iter)
# lr 0.005: mmdet's 0.01 (16 images) halved for batch 2, as the Mask
# R-CNN's 0.02 was; at 0.01 the projection loss had not fallen by 1000 it
optim_wrapper = dict(optimizer=dict(lr=0.005))
# the Mask R-CNN's warm-up, its steps stretched to max_iter
param_scheduler = __mask_rcnn.param_scheduler
param_scheduler[1].update(
    end=max_iter,
    milestones=[stretch * m for m in param_scheduler[1].milestones])
default_hooks = dict(
    __mask_rcnn.default_hooks,
    checkpoint=dict(__mask_rcnn.default_hooks.checkpoint, interval=max_iter))
log_processor = __mask_rcnn.log_processor
randomness = __mask_rcnn.randomness
