# The offline demo's Proxy Mask R-CNN (`make demo` without PennFudan,
# tools/pipelines.mk): boxes of the generated scenes + BoxCaseg proxy
# masks; evaluated on held-out scenes with their hidden exact masks.
# 256 px images, 500 iterations on 2 CPU cores.
_base_ = ['./proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py']

# --out of generate_synthetic.py
synthetic_root = 'work_dirs/demo_synthetic/data/'
proxy_ann_file = ('work_dirs/demo_synthetic/proxies/'
                  'boxcaseg_merge_drop.json')
classes = ('ellipse', 'star', 'blob', 'polygon', 'crescent')
metainfo = dict(classes=classes)
img_scale = (256, 256)
max_iters = 500

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=len(classes)),
        mask_head=dict(num_classes=len(classes))))

# the coco128 pipelines at img_scale
train_pipeline = _base_.train_pipeline
train_pipeline[2].scale = img_scale  # Resize
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = img_scale  # Resize
train_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        ann_file=proxy_ann_file,
        data_prefix=dict(img=synthetic_root + 'scenes/images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        metainfo=metainfo,
        data_root=synthetic_root + 'scenes/',
        ann_file='annotations_val.json',
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=synthetic_root + 'scenes/annotations_val.json')
test_evaluator = val_evaluator

# the coco128 schedule at max_iters, its step at 80 % of it
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = _base_.param_scheduler  # [LinearLR, MultiStepLR]
param_scheduler[1].update(end=max_iters, milestones=[int(max_iters * 0.8)])
default_hooks = dict(checkpoint=dict(interval=max_iters))
