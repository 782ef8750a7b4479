# A weight average (MMEngine's EMAHook), as in the -4k configs. The
# checkpoint's `state_dict` then holds the average; the raw weights stay in
# `ema_state_dict` (tools/model_converters/publish_model.py --raw writes
# those), so one training gives both. momentum is the weight of the newest
# weights per iteration: 0.002 averages over roughly the last 500
# iterations; begin_iter 500 leaves out the first, far-from-trained weights;
# update_buffers averages the BatchNorm statistics too. Whether the average
# beats the raw weights depends on the set (docs/model_zoo.md, "More
# compute").
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.002,
        update_buffers=True,
        begin_iter=500)
]
