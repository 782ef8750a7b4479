# coco128_salient.py with PennFudan's train-split boxes (data/pennfudan, 339
# pedestrians) as the box set; the salient sets and sizes stay. Validation
# predicts every box of the set (423) and scores the masks against its GT
# masks, which training never sees.
_base_ = ['./coco128_salient.py']

data_root = 'data/pennfudan/'
box_set = dict(
    type='BoxCropDataset',
    data_root=data_root,
    ann_file='annotations_train.json',  # boxes only: masks are never read
    pipeline=_base_.box_pipeline)
train_dataloader = dict(dataset=dict(datasets=[box_set] +
                                     _base_.salient_sets))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations_all.json'))
test_dataloader = val_dataloader
