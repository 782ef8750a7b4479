# BoxCaseg on a CPU: EfficientNet-Lite0 with a 128-channel neck
# (boxcaseg_effnet_lite0_cpu.py), coco128 boxes + the davis345 and sod204
# salient sets (coco128_salient.py), 9 box + 7 salient crops of 160 px per
# batch, an iteration-based poly schedule (poly_cpu-2k.py); evaluated on
# coco128's GT masks. The recipe was chosen by measurement on coco128 and
# PennFudan (docs/model_zoo.md, "Levers"); each base says what its choices
# do.
_base_ = [
    '../_base_/models/boxcaseg_effnet_lite0_cpu.py',
    '../_base_/datasets/coco128_salient.py',
    '../_base_/schedules/poly_cpu-2k.py'
]
