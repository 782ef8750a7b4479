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
_base_ = './duts-single.py'

data_root = 'data/voc/'
train_ann = 'annotations/voc_2012_train_aug.json'  # voc_aug_to_coco.py
val_ann = 'annotations/voc_2012_val.json'
img_dir = 'VOC2012/JPEGImages/'  # data/voc/VOC2012 -> ../VOCdevkit/VOC2012

box_train = dict(
    _base_.box_train, data_root=data_root, ann_file=train_ann,
    data_prefix=dict(img=img_dir))

train_dataloader = dict(
    drop_last=True,
    dataset=dict(datasets=[box_train, _base_.salient_train]))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, ann_file=val_ann,
        data_prefix=dict(img=img_dir)))
test_dataloader = val_dataloader
