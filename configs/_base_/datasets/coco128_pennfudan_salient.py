# coco128_salient.py with every box set at hand pooled: coco128's 929 boxes
# and PennFudan's 339 train-split boxes (masks of neither are read), beside
# the same salient sets. RatioBatchSampler pools the sub-sets by their
# source, so the 9 box crops of a batch come from both box sets in
# proportion to their sizes. Validation stays coco128's; PennFudan's 423 are
# scored with the test_dataloader options of docs/model_zoo.md.
_base_ = ['./coco128_salient.py']

pennfudan_boxes = dict(
    type='BoxCropDataset',
    data_root='data/pennfudan/',
    ann_file='annotations_train.json',
    pipeline=_base_.box_pipeline)
train_dataloader = dict(dataset=dict(
    datasets=[_base_.box_set, pennfudan_boxes] + _base_.salient_sets))
