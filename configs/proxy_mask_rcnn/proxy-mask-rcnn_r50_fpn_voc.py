# Proxy Mask R-CNN R-50-FPN on PASCAL VOC 2012: trained on train_aug (10,582
# images: real boxes + proxy masks), evaluated on val (1,449 images, real
# masks) by mask mAP at IoU 0.25/0.50/0.70/0.75 (paper Table 1).
# Schedule of the paper: 800/1333 input with flip, 6 images per iteration,
# lr 0.0075, 22.5k iterations, lr x0.1 at 15k, 500 warm-up iterations.
_base_ = ['./proxy-mask-rcnn_r50_fpn_1x_coco.py']

# COCO-format json from tools/dataset_converters/voc_aug_to_coco.py, the
# proxy file from tools/generate_proxy_masks.py run on the train_aug json
data_root = 'data/voc/'
img_prefix = 'VOC2012/JPEGImages/'
proxy_ann_file = 'annotations/voc_2012_train_aug_proxy.json'
val_ann_file = 'annotations/voc_2012_val.json'
voc_classes = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
max_iters = 22500

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=20), mask_head=dict(num_classes=20)))

# 2 images per GPU on 3 GPUs = 6. With another total batch size, add
# --auto-scale-lr to tools/train.py to scale lr 0.0075 linearly.
train_dataloader = dict(
    batch_size=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        ann_file=proxy_ann_file,
        data_prefix=dict(img=img_prefix),
        metainfo=dict(classes=voc_classes)))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file=val_ann_file,
        data_prefix=dict(img=img_prefix),
        metainfo=dict(classes=voc_classes)))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,
    type='mmboxcaseg.VOCMaskMetric',
    ann_file=data_root + val_ann_file,
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator

train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=2500)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[15000],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.0075))
auto_scale_lr = dict(base_batch_size=6)

default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=2500,
        max_keep_ckpts=3,
        save_best='voc/segm_mAP@0.50',
        rule='greater'))
log_processor = dict(by_epoch=False)
