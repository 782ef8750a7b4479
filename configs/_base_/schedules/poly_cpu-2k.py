# The schedule and runtime of the CPU recipe: poly_iter.py's 2000 iterations
# (about 22 passes over coco128's 929 boxes), the longest schedule that
# trains in well under 30 minutes on 2 CPU cores (what other lengths buy:
# docs/model_zoo.md, "More compute"), on default_runtime.py with hooks in
# iterations. The runtime is a base of this file, not of the top-level
# configs, because the checkpoint interval follows the iteration count and
# MMEngine refuses a key (default_hooks) that two bases of one config define.
_base_ = ['./poly_iter.py', '../default_runtime.py']

default_hooks = dict(
    logger=dict(interval=10),
    # one checkpoint, at the end
    checkpoint=dict(by_epoch=False, interval=_base_.max_iters))
log_processor = dict(by_epoch=False)
randomness = dict(seed=1234)
