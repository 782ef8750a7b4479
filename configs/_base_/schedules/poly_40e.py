# SGD + poly LR for the class-agnostic segmentor (as the authors' code):
# momentum 0.9, weight decay 1e-4, lr * (1 - it / max_it) ** 0.9 updated every
# iteration, no warm-up. `end` is left out: MMEngine sets it to max_epochs
# and converts it to iterations.
max_epochs = 40

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=1e-4))

param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        convert_to_iter_based=True)
]

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# the paper's learning rates are for 2 GPUs x 16 images
auto_scale_lr = dict(enable=False, base_batch_size=32)
