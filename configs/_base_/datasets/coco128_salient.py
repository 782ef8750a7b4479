# The small real sets under data/ (docs/dataset_prepare.md), at
# sizes for a 2-core CPU: coco128's boxes as the box set (its GT masks only
# score), davis345 + sod204 image / mask pairs as the salient sets.
# Paths are relative to the project root. Sizes are (w, h).
_base_ = './boxcaseg_pipelines.py'

box_root = 'data/coco128/'
box_ann = 'annotations.json'
val_ann = 'annotations.json'  # the boxes that get masks: the same images
crop_size = (160, 160)  # training crops (the paper: 288)
test_scale = (192, 192)  # tight box crops to predict (the paper: 320)
box_ratio = (9, 7)  # box : salient per batch of 16 (the paper's Table 5)

# the paper's box and test pipelines at the sizes above
box_pipeline = _base_.box_pipeline
box_pipeline[2].scale = crop_size  # Resize
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = test_scale  # BoxCrops
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
# two loader workers for the 2 cores
train_dataloader = dict(
    num_workers=2,
    batch_sampler=dict(type='RatioBatchSampler', box_ratio=box_ratio),
    dataset=dict(datasets=[box_set] + salient_sets))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=box_root, ann_file=val_ann, pipeline=test_pipeline))
test_dataloader = val_dataloader
