# The _2x config at four times the default iterations (same weight average):
# the last point of "what more compute buys" (docs/model_zoo.md, "More
# compute").
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient_2x.py'

max_iters = 4000  # 4x the default; the poly LR stretches to the new end
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
