# Proxy Mask R-CNN on PennFudan pedestrians (data/pennfudan), sized
# for a 2-core CPU: ImageNet EfficientNet-Lite0 + a 64-wide FPN, one class.
# Trained on the train split (136 images) with the masks of `train_ann_file`
# (real masks for the fully supervised reference, or a proxy file from
# tools/generate_proxy_masks.py), evaluated on the val split's real masks
# (34 images) with CocoMetric (bbox + segm) and VOCMaskMetric (mask mAP at
# IoU 0.25 / 0.50 / 0.70 / 0.75). `make e2e` (tools/pipelines.mk) runs the
# trainings of the comparison with this config.
_base_ = ['./proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py']

data_root = 'data/pennfudan/'
train_ann_file = data_root + 'annotations_train.json'  # or a proxy json
val_ann_file = data_root + 'annotations_val.json'
classes = ('pedestrian', )
max_iters = 1200  # batch 2: ~18 passes over the 136 training images
img_scale = (480, 480)  # longer side: the images' own size (at most 480)

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=len(classes)),
        mask_head=dict(num_classes=len(classes))))

# pedestrians are upright: photometric and scale jitter, no vertical flip
train_pipeline = _base_.train_pipeline
train_pipeline[2] = dict(  # in place of the fixed Resize
    type='RandomResize', scale=img_scale, ratio_range=(0.8, 1.2),
    keep_ratio=True)
# before PackProxyDetInputs
train_pipeline.insert(-1, dict(type='PhotoMetricDistortion'))
train_dataloader = dict(
    dataset=dict(
        ann_file=train_ann_file,
        data_prefix=dict(img=data_root),
        metainfo=dict(classes=classes),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root='',
        ann_file=val_ann_file,
        data_prefix=dict(img=data_root),
        metainfo=dict(classes=classes)))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric', ann_file=val_ann_file,
         metric=['bbox', 'segm']),
    dict(type='mmboxcaseg.VOCMaskMetric', ann_file=val_ann_file,
         metric=['segm'])
]
test_evaluator = val_evaluator

# validate every third of the schedule: the log shows how AP grows
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 3)
# lr 0.01 (the base's, for batch 2): a 100-iteration warm-up, then steps
# at 75 % and 90 % of max_iters (lr 0.02, 8x mmdet's per-image rate, made
# training unstable: docs/model_zoo.md, end to end)
param_scheduler = _base_.param_scheduler  # [LinearLR, MultiStepLR]
param_scheduler[0].end = 100
param_scheduler[1].update(
    end=max_iters, milestones=[int(max_iters * 0.75), int(max_iters * 0.9)])
default_hooks = dict(checkpoint=dict(interval=max_iters))
