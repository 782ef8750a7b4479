# Table 4 ablation, CPU setting: the weak head only (MIL + pairwise on all
# samples, no pixel loss); predictions from the weak head.
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'

model = dict(
    salient_head=None, transferred_head=None, test_cfg=dict(pred='weak'))
