# The CPU recipe of boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py
# trained on every box set at hand (coco128 + PennFudan's train split,
# coco128_pennfudan_salient.py): one model for everyday scenes and
# pedestrians alike, measured against each set's own model in
# docs/model_zoo.md ("Levers").
_base_ = [
    '../_base_/models/boxcaseg_effnet_lite0_cpu.py',
    '../_base_/datasets/coco128_pennfudan_salient.py',
    '../_base_/schedules/poly_cpu-2k.py'
]
