# Table 4 ablation, CPU setting: weak + salient heads (S_mix = S_sal).
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'

model = dict(transferred_head=None)
