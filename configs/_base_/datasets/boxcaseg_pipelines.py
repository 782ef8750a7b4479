# Pipelines of the class-agnostic segmentor (BoxCaseg Sec. 3.2.2), at the
# paper's sizes, and the loaders and the metric every data set of it uses. A
# child adds its box and salient sets to the ConcatDataset and points the
# evaluation set at its boxes and GT masks. Sizes are (w, h).
crop_size = (288, 288)  # training crops of both sources
salient_scale = (320, 320)  # salient images: resize, then random crop
test_scale = (320, 320)  # tight box crops at evaluation / proxy inference

# LoadImageOrSkip: an image (or, LoadSalientMask, a mask) that cannot be
# decoded skips its sample, counted in the log
# box sample: jittered crop around its box ("bbox broaden") + box label
box_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='BoxJitterCrop', shift=0.25, scale_range=(0.5, 1.5)),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackBoxCasegInputs'),
]
# salient sample: image + 0/1 mask, resize, random crop, horizontal flip
# (the released code flips vertically; horizontal is the sane default)
salient_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='LoadSalientMask'),
    dict(type='Resize', scale=salient_scale, keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size, crop_type='absolute'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackBoxCasegInputs'),
]
# evaluation: the tight box (no context), resized; GT mask of the instance;
# the image rides along for a GrabCut refinement (model.test_cfg.refine)
test_pipeline = [
    dict(type='LoadBoxImage'),
    dict(type='BoxCrops', scale=test_scale),
    dict(type='PackBoxImageInputs', keep_image=True),
]

# 16 images per GPU (the paper: 2 GPUs x 16)
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', ignore_keys=['classes', 'cat_ids']))
# every box of an image, tight crops (test_pipeline), scored against its GT
# masks
val_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BoxImageDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
