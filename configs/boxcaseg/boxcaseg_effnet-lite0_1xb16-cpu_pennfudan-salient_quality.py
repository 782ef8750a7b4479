# The mask quality head of ..._coco128-salient_quality.py for the PennFudan
# segmentor (boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py, trained
# on PennFudan's train-split boxes): the same salient training; validation
# scores every PennFudan box.
_base_ = ['./boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient_quality.py']

# where docs/model_zoo.md's command trains the PennFudan segmentor
load_from = 'work_dirs/pennfudan/iter_2000.pth'
val_dataloader = dict(
    dataset=dict(
        data_root='data/pennfudan/', ann_file='annotations_all.json'))
test_dataloader = val_dataloader
