# PASCAL VOC 2012 train_aug boxes + DUTS-Single salient images, evaluated on
# VOC 2012 val masks. Both annotation files are COCO-format json (boxes xywh,
# masks as polygons or RLE), e.g. converted from SBD + VOC 2012.
#
# Sampling follows the released VOC code: the union of both sets shuffled
# (DefaultSampler), an epoch is one pass over the union. For the paper's
# fixed per-batch ratio instead, add
#   batch_sampler=dict(type='RatioBatchSampler', box_ratio=(9, 7))
# to train_dataloader and drop `drop_last` (an epoch then is one pass over
# DUTS-Single).
_base_ = './boxcaseg_pipelines.py'

data_root = 'data/voc/'
train_ann = 'annotations/voc_2012_train_aug.json'  # voc_aug_to_coco.py
val_ann = 'annotations/voc_2012_val.json'
img_dir = 'VOC2012/JPEGImages/'  # data/voc/VOC2012 -> ../VOCdevkit/VOC2012
salient_root = 'data/DUTS/DUTS-TR/'
salient_list = 'data/DUTS/duts_single.txt'  # DUTS-Single: 7,991 names

box_train = dict(
    type='BoxCropDataset',
    data_root=data_root,
    ann_file=train_ann,
    data_prefix=dict(img=img_dir),
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
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
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
        data_prefix=dict(img=img_dir),
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='BoxMaskMetric')
test_evaluator = val_evaluator
