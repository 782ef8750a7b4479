# BoxCaseg on COCO train2017 boxes + DUTS-Single, the paper's COCO setting:
# HRNetV2-W48 (SyncBN), 2 GPUs x 16, 22 box + 10 salient per global batch of
# 32 (RatioBatchSampler, an epoch = one pass over DUTS-Single), SGD lr 0.008,
# poly, 40 epochs, salient_weight 0.6 (released COCO code).
_base_ = [
    '../_base_/models/boxcaseg_hrnetv2_w48.py',
    '../_base_/datasets/coco_duts-single.py',
    '../_base_/schedules/poly_40e.py', '../_base_/default_runtime.py'
]

model = dict(salient_weight=0.6)
optim_wrapper = dict(optimizer=dict(lr=0.008))
randomness = dict(seed=1234)
