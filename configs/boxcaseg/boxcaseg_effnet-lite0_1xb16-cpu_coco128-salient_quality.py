# A mask quality head for the default CPU segmentor (not in the paper): a
# MaskQualityHead (Mask Scoring R-CNN's MaskIoUHead) learns to predict the
# IoU of each crop's mask, which (times the box's crowding and fill
# factors) becomes the masks' `score` (proxy json, BoxCasegInferencer,
# tools/test.py's `score_rho`). It trains alone on the
# frozen segmentor of `make model` (frozen_segmentor: its weights and BN
# statistics stay), on the salient images, the only ones with true masks;
# the weak head, whose masks it scores, never learnt from those masks.
_base_ = ['./boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py']

# the segmentor whose masks the head learns to score
load_from = 'checkpoints/boxcaseg_effnet-lite0_cpu_coco128.pth'
model = dict(
    quality_head=dict(type='MaskQualityHead', in_channels=128),
    frozen_segmentor=True)

# salient images cropped as boxes are predicted: around the mask's box, at
# the test size, with a little jitter (an annotated box is not always
# tight); half of them with a second salient object pasted over part of
# the object (PasteOccluder; the true mask is then the visible part), as
# boxes of everyday photos hold parts of other objects. mmdet's
# MultiImageMixDataset hands the transform its second image.
quality_pipeline = [
    dict(type='PasteOccluder', prob=0.5, scale_range=(0.5, 1.0)),
    dict(type='BoxJitterCrop', shift=0.1, scale_range=(0.9, 1.2)),
    dict(type='Resize', scale=_base_.test_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackBoxCasegInputs'),
]
load_salient = [dict(type='LoadImageOrSkip'), dict(type='LoadSalientMask')]
train_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmdet.MultiImageMixDataset',
        dataset=dict(
            type='ConcatDataset',
            ignore_keys=['classes', 'cat_ids'],
            datasets=[
                dict(s, pipeline=load_salient) for s in _base_.salient_sets
            ]),
        pipeline=quality_pipeline))

# a small head from scratch: AdamW, about 12 passes over the 549 salient
# images
max_iters = 400
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
