# The small real sets under data/ (docs/dataset_prepare.md), at
# sizes for a 2-core CPU: coco128's boxes as the box set (its GT masks only
# score), davis345 + sod204 image / mask pairs as the salient sets.
# Paths are relative to the project root. Sizes are (w, h).
box_root = 'data/coco128/'
box_ann = 'annotations.json'
val_ann = 'annotations.json'  # the boxes that get masks: the same images
crop_size = (160, 160)  # training crops (the paper: 288)
test_scale = (192, 192)  # tight box crops to predict (the paper: 320)
box_ratio = (9, 7)  # box : salient per batch of 16 (the paper's Table 5)

# LoadImageOrSkip: an image (or, LoadSalientMask, a mask) that cannot be
# decoded skips its sample, counted in the log
# a box sample: a jittered crop around its box ("bbox broaden") + box label
box_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='BoxJitterCrop', shift=0.25, scale_range=(0.5, 1.5)),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackBoxCasegInputs'),
]
# Salient images are cropped around their mask's box with the same jitter as
# the box crops, so that all three heads see box-like crops (the paper
# resizes to 320, crops 288 at random and flips).
salient_pipeline = [
    dict(type='LoadImageOrSkip'),
    dict(type='LoadSalientMask'),
    dict(type='BoxJitterCrop', shift=0.25, scale_range=(0.5, 1.5)),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackBoxCasegInputs'),
]
# prediction: every box of an image, tight crops (no context), resized
test_pipeline = [
    dict(type='LoadBoxImage'),
    dict(type='BoxCrops', scale=test_scale),
    dict(type='PackBoxImageInputs'),
]

box_set = dict(
    type='BoxCropDataset',
    data_root=box_root,
    ann_file=box_ann,
    pipeline=box_pipeline)
# salient sets: one SalientDataset per folder; the ratio sampler pools them
salient_sets = [
    dict(
        type='SalientDataset',
        data_root='data/davis345/',
        img_dir='images',
        mask_dir='masks',
        pipeline=salient_pipeline),
    dict(
        type='SalientDataset',
        data_root='data/sod204/',
        img_dir='images',
        mask_dir='masks',
        pipeline=salient_pipeline),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='RatioBatchSampler', box_ratio=box_ratio),
    dataset=dict(
        type='ConcatDataset',
        datasets=[box_set] + salient_sets,
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
        ann_file=val_ann,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
