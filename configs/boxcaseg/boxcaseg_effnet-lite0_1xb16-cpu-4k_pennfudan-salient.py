# The PennFudan segmentor
# (boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py) at 4000
# iterations, twice its 2000, with a weight average (poly_cpu-4k_ema.py):
# what more compute buys (docs/model_zoo.md, "More compute").
_base_ = [
    '../_base_/models/boxcaseg_effnet_lite0_cpu.py',
    '../_base_/datasets/pennfudan_salient.py',
    '../_base_/schedules/poly_cpu-4k_ema.py'
]
