# The offline demo's segmentor (`make demo` without PennFudan,
# tools/pipelines.mk): the CPU config on the generated shapes data
# (tools/dataset_converters/generate_synthetic.py): 256 px scenes, 128 px
# crops, 300 iterations.
_base_ = './boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'

# --out of generate_synthetic.py
synthetic_root = 'work_dirs/demo_synthetic/data/'
crop_size = (128, 128)
test_scale = (160, 160)

# the coco128 recipe's pipelines at the sizes above
box_pipeline = _base_.box_pipeline
box_pipeline[2].scale = crop_size  # Resize
salient_pipeline = _base_.salient_pipeline
salient_pipeline[3].scale = crop_size  # Resize
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = test_scale  # BoxCrops
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            type='BoxCropDataset',
            data_root=synthetic_root + 'scenes/',
            ann_file='annotations.json',
            data_prefix=dict(img='images/'),
            pipeline=box_pipeline),
        dict(
            type='SalientDataset',
            data_root=synthetic_root + 'salient/',
            img_dir='images',
            mask_dir='masks',
            pipeline=salient_pipeline),
    ]))
val_dataloader = dict(
    dataset=dict(
        data_root=synthetic_root + 'scenes/',
        ann_file='annotations_val.json',
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# Proxies from the paper's mixed salient + transferred prediction, not the
# weak head of the coco128 recipe: the generated salient images look like
# the scenes' objects, so the salient-trained heads carry over (on coco128
# + davis345 the weak head wins; docs/model_zoo.md); without the recipe's
# flip test-time augmentation.
model = dict(test_cfg=dict(pred='mixed', flip=False))

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
