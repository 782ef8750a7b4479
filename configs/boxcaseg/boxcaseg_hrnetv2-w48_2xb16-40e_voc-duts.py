# BoxCaseg on PASCAL VOC train_aug boxes + DUTS-Single, the paper's VOC
# setting: HRNetV2-W48 (SyncBN), 2 GPUs x 16, SGD lr 0.004, poly, 40 epochs,
# salient_weight 0.7. Box and salient samples are shuffled together as in
# the released VOC code (see the dataset base for the ratio-sampler option).
_base_ = [
    '../_base_/models/boxcaseg_hrnetv2_w48.py',
    '../_base_/datasets/voc_duts-single.py', '../_base_/schedules/poly_40e.py',
    '../_base_/default_runtime.py'
]

randomness = dict(seed=1234)
