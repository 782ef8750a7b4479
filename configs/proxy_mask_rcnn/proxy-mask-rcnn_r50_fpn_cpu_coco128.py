# Proxy Mask R-CNN on coco128 (data/coco128), sized for a 2-core CPU: train
# on coco128's real boxes + proxy masks, evaluate with CocoMetric (bbox +
# segm) on coco128's real masks. Input 512 max side, batch 2, a 64-wide
# FPN/RPN/RoI heads, fewer proposals and RoIs. No ResNet weights are fetched
# offline, so the R-50 trains from scratch (all stages and BN statistics
# trainable); proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py starts from
# ImageNet EfficientNet-Lite0 weights instead (timings: docs/model_zoo.md).
#
#   python tools/generate_proxy_masks.py \
#       --ann-file data/coco128/annotations.json --img-root data/coco128 \
#       --out work_dirs/proxy/coco128_proxy.json \
#       --config \
#       configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py \
#       --checkpoint checkpoints/boxcaseg_effnet-lite0_cpu_coco128.pth
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/proxy_mask_rcnn/proxy-mask-rcnn_r50_fpn_cpu_coco128.py
_base_ = ['./proxy-mask-rcnn_r50_fpn_1x_coco.py']

data_root = 'data/coco128/'  # images + annotations.json (real GT)
proxy_ann_file = 'work_dirs/proxy/coco128_proxy.json'  # from the project root
max_iters = 300
img_scale = (512, 512)

fpn_channels = 64  # mmdet: 256, several times the cost on a CPU

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(out_channels=fpn_channels),
    rpn_head=dict(in_channels=fpn_channels, feat_channels=fpn_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(in_channels=fpn_channels, fc_out_channels=256),
        mask_roi_extractor=dict(out_channels=fpn_channels),
        mask_head=dict(
            in_channels=fpn_channels, conv_out_channels=fpn_channels)),
    # fewer proposals and sampled RoIs per image (mmdet: 1000 and 512)
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(max_per_img=300)))

# the R-50 1x config's train pipeline at img_scale
train_pipeline = _base_.train_pipeline
train_pipeline[2].scale = img_scale  # Resize
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root='',
        ann_file=proxy_ann_file,
        data_prefix=dict(img=data_root),
        pipeline=train_pipeline))
# no loader worker: one forked at the first validation keeps a copy of the
# training's memory of that moment for the rest of the run (the training
# rewrites its pages, the worker holds the old ones; docs/train_and_test.md),
# and the val images load in seconds
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations.json',
        data_prefix=dict(img=''),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations.json')
test_evaluator = val_evaluator

train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
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
# 4x mmdet's lr scaled to 2 images (0.02 / 8) for the short schedule
optim_wrapper = dict(optimizer=dict(lr=0.01))
auto_scale_lr = dict(base_batch_size=2)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
randomness = dict(seed=1234)
