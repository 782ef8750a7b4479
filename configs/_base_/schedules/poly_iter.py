# Iteration-based variant of poly_40e.py (same SGD and poly LR, counted in
# iterations): for short runs (CPU) where an epoch is not a useful unit.
max_iters = 2000

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=1e-4))

param_scheduler = [dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=False)]

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

auto_scale_lr = dict(enable=False, base_batch_size=16)
