# The PennFudan segmentor
# (boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py) at 4000
# iterations, twice its 2000, with a weight average
# (../_base_/schedules/ema.py): what more compute buys (docs/model_zoo.md,
# "More compute").
_base_ = [
    './boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py',
    '../_base_/schedules/ema.py'
]

max_iters = 4000  # the poly LR has no fixed end: it stretches to the new one
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
