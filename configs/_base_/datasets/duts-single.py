# DUTS-Single, the paper's salient set (the DUTS-TR images that hold one
# salient object), with the loaders and the metric of the paper's settings.
# A child adds its box set in front of `salient_train` and points the
# evaluation set at its masks (coco_duts-single.py, voc_duts-single.py).
_base_ = './boxcaseg_pipelines.py'

salient_root = 'data/DUTS/DUTS-TR/'
salient_list = 'data/DUTS/duts_single.txt'  # DUTS-Single: 7,991 names

salient_train = dict(
    type='SalientDataset',
    data_root=salient_root,
    img_dir='DUTS-TR-Image',
    mask_dir='DUTS-TR-Mask',
    ann_file=salient_list,
    pipeline=_base_.salient_pipeline)

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
    dataset=dict(type='BoxImageDataset', pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
