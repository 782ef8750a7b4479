# The PennFudan segmentor (boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py)
# at twice the iterations with the weight average of the coco128 2x config:
# what more compute buys on PennFudan (docs/model_zoo.md, "More compute").
_base_ = ['./boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py']

max_iters = 2000  # 2x the default; the poly LR stretches to the new end
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))

# see boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient_2x.py
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=0.002,
        update_buffers=True,
        begin_iter=max_iters // 4)
]
