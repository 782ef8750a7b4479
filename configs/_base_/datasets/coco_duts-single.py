# COCO train2017 boxes + DUTS-Single salient images, evaluated on COCO
# val2017 masks. Every global batch holds a fixed box : salient ratio and an
# epoch is one pass over DUTS-Single (RatioBatchSampler, paper's Table 5).
_base_ = './boxcaseg_pipelines.py'

data_root = 'data/coco/'
train_ann = 'annotations/instances_train2017.json'
train_img = 'train2017/'
val_ann = 'annotations/instances_val2017.json'
val_img = 'val2017/'
salient_root = 'data/DUTS/DUTS-TR/'
salient_list = 'data/DUTS/duts_single.txt'  # DUTS-Single: 7,991 names
box_ratio = (11, 5)  # per 16: 22 box + 10 salient per global batch of 32

box_train = dict(
    type='BoxCropDataset',
    data_root=data_root,
    ann_file=train_ann,
    data_prefix=dict(img=train_img),
    pipeline=_base_.box_pipeline)
salient_train = dict(
    type='SalientDataset',
    data_root=salient_root,
    img_dir='DUTS-TR-Image',
    mask_dir='DUTS-TR-Mask',
    ann_file=salient_list,
    pipeline=_base_.salient_pipeline)

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='RatioBatchSampler', box_ratio=box_ratio),
    dataset=dict(
        type='ConcatDataset',
        datasets=[box_train, salient_train],
        ignore_keys=['classes', 'cat_ids']))
val_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='BoxImageDataset',
        data_root=data_root,
        ann_file=val_ann,
        data_prefix=dict(img=val_img),
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
