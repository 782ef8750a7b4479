# The real data shipped beside the project (../shared/data/README.md):
# coco128 boxes as the box set, davis345 image + mask pairs as the salient
# set, evaluation on coco128's GT masks (its boxes are the only supervision).
# Paths are relative to the project root. Sizes, (w, h), are smaller than
# the paper's (288 / 320 / 320) so that CPU training and evaluation stay
# short.
box_root = '../shared/data/coco128/'
box_ann = 'annotations.json'
salient_root = '../shared/data/davis345/'
crop_size = (160, 160)
salient_scale = (176, 176)  # resize, then random crop to crop_size
test_scale = (192, 192)
box_ratio = (9, 7)  # per batch of 16 (the paper's best, Table 5)

box_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='BoxJitterCrop', shift=0.25, scale_range=(0.5, 1.5)),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackBoxCasegInputs'),
]
# Salient images are cropped around their mask's box with the same jitter as
# the box crops (not the paper's resize 320 / random crop 288 / flip, which is
# `salient_pipeline_paper` below): at this scale the salient and transferred
# heads otherwise never see box-like crops.
salient_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSalientMask'),
    dict(type='BoxJitterCrop', shift=0.25, scale_range=(0.5, 1.5)),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackBoxCasegInputs'),
]
salient_pipeline_paper = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSalientMask'),
    dict(type='Resize', scale=salient_scale, keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size, crop_type='absolute'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackBoxCasegInputs'),
]
test_pipeline = [
    dict(type='LoadBoxImage'),
    dict(type='BoxCrops', scale=test_scale),
    dict(type='PackBoxImageInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='RatioBatchSampler', box_ratio=box_ratio),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='BoxCropDataset',
                data_root=box_root,
                ann_file=box_ann,
                pipeline=box_pipeline),
            dict(
                type='SalientDataset',
                data_root=salient_root,
                img_dir='images',
                mask_dir='masks',
                pipeline=salient_pipeline),
        ],
        ignore_keys=['classes', 'cat_ids']))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BoxImageDataset',
        data_root=box_root,
        ann_file=box_ann,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
