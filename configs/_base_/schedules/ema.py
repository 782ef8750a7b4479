# A weight average (MMEngine's EMAHook) for the 4000-iteration _4x configs.
# The checkpoint's `state_dict` then holds the average; the raw weights stay
# in `ema_state_dict` (tools/model_converters/publish_model.py --raw writes
# those). momentum is the weight of the newest weights per iteration: 0.002
# averages over roughly the last 500 iterations; begin_iter 500 leaves out
# the first, far-from-trained weights; BatchNorm
# statistics are averaged too. On PennFudan at 2x the average scored 0.3-0.6
# mIoU* below the raw weights (docs/model_zoo.md, "More compute").
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.002,
        update_buffers=True,
        begin_iter=500)
]
