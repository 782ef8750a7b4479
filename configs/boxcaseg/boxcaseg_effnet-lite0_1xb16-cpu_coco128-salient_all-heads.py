# Table 4 ablation, CPU setting: all three heads, S_mix = a * S_sal +
# (1 - a) * S_trans. This is the CPU config itself, named for the table.
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'
