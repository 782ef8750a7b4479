# A tiny config for the training-machinery tests (2-process gloo run, resume).
# tests/data must be on sys.path (tests/conftest.py does it; the dist test sets PYTHONPATH).
custom_imports = dict(imports=['mmboxcaseg_toy_modules'],
                      allow_failed_imports=False)
default_scope = 'mmboxcaseg'
model = dict(type='ToyRegressor')
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToyDataset', length=64))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=1234)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
