# DUTS-Single, the paper's salient set (the DUTS-TR images that hold one
# salient object), with the pipelines, the loaders and the metric of the
# paper's settings. A child fills `box_train` with its box set, puts it in
# front of `salient_train` and points the evaluation set at its masks
# (coco_duts-single.py, voc_duts-single.py).
_base_ = './boxcaseg_pipelines.py'

salient_root = 'data/DUTS/DUTS-TR/'
salient_list = 'data/DUTS/duts_single.txt'  # DUTS-Single: 7,991 names

salient_train = dict(
    type='SalientDataset',
    data_root=salient_root,
    img_dir='DUTS-TR-Image',
    mask_dir='DUTS-TR-Mask',
    ann_file=salient_list,
    pipeline=_base_.salient_pipeline)
box_train = dict(type='BoxCropDataset', pipeline=_base_.box_pipeline)
