# The CPU recipe of boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py with
# PennFudan's train-split boxes as the box set (pennfudan_salient.py);
# validation scores the masks of every PennFudan box against its GT masks.
# `make e2e` (tools/pipelines.mk) trains this segmentor.
_base_ = [
    '../_base_/models/boxcaseg_effnet_lite0_cpu.py',
    '../_base_/datasets/pennfudan_salient.py',
    '../_base_/schedules/poly_cpu-2k.py'
]
