# The default CPU recipe (boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py)
# at twice the iterations, with an exponential moving average of the weights:
# what more compute buys (docs/model_zoo.md, "More compute").
_base_ = ['./boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py']

max_iters = 2000  # 2x the default; the poly LR stretches to the new end
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))

# A shadow copy of the weights, averaged over the last three quarters of the
# schedule, is what the checkpoint's `state_dict` holds (the raw weights stay
# in `ema_state_dict`; publish_model.py --raw writes those). momentum is the
# weight of the newest weights per iteration: 0.002 averages over roughly
# the last 500 iterations; BatchNorm statistics are averaged too.
# On PennFudan at 2x the average scored 0.3-0.6 mIoU* below the raw weights
# (docs/model_zoo.md, "More compute"): publish with --raw to use those.
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.002,
        update_buffers=True,
        begin_iter=max_iters // 4)
]
