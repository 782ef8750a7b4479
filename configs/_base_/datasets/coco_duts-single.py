# COCO train2017 boxes + DUTS-Single salient images, evaluated on COCO
# val2017 masks. Every global batch holds a fixed box : salient ratio and an
# epoch is one pass over DUTS-Single (RatioBatchSampler, paper's Table 5).
_base_ = './duts-single.py'

data_root = 'data/coco/'
train_ann = 'annotations/instances_train2017.json'
train_img = 'train2017/'
val_ann = 'annotations/instances_val2017.json'
val_img = 'val2017/'
box_ratio = (11, 5)  # per 16: 22 box + 10 salient per global batch of 32

box_train = dict(
    _base_.box_train, data_root=data_root, ann_file=train_ann,
    data_prefix=dict(img=train_img))

train_dataloader = dict(
    batch_sampler=dict(type='RatioBatchSampler', box_ratio=box_ratio),
    dataset=dict(datasets=[box_train, _base_.salient_train]))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=val_ann,
        data_prefix=dict(img=val_img)))
test_dataloader = val_dataloader
