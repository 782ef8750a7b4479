# The CPU recipe's schedule (poly_cpu-2k.py) at 4000 iterations, twice its
# length, with a weight average (ema.py): what more compute buys
# (docs/model_zoo.md, "More compute").
_base_ = ['./poly_cpu-2k.py', './ema.py']

max_iters = 4000  # the poly LR has no fixed end: it stretches to the new one
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
