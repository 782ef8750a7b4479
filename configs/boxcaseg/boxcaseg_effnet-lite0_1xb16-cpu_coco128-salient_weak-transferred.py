# Table 4 ablation, CPU setting: weak + transferred heads (S_mix = S_trans).
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'

model = dict(salient_head=None)
