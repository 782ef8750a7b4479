# BoxCaseg on a CPU: EfficientNet-Lite0, coco128 boxes + davis345 salient
# images (../shared/data), 9 box + 7 salient per batch of 16, 160 px crops,
# iteration-based poly schedule; evaluated on coco128's GT masks.
# `max_iters` is the knob for the time budget (2 CPU cores).
_base_ = [
    '../_base_/models/boxcaseg_effnet_lite0.py',
    '../_base_/datasets/coco128_davis345.py',
    '../_base_/schedules/poly_iter.py', '../_base_/default_runtime.py'
]

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
randomness = dict(seed=1234)
