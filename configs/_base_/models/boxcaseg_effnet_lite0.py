# CPU-sized BoxCaseg: EfficientNet-Lite0 (effnet_lite0_backbone.py) instead
# of HRNetV2; its feature levels 1-4 give 24 + 40 + 112 + 320 = 496 channels
# at stride 4; plain BN.
_base_ = ['./boxcaseg_hrnetv2_w48.py', './effnet_lite0_backbone.py']

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(_delete_=True, **_base_.effnet_lite0),
    neck=dict(in_channels=[24, 40, 112, 320]),
    weak_head=dict(in_channels=496, norm_cfg=norm_cfg),
    salient_head=dict(in_channels=496, norm_cfg=norm_cfg),
    transferred_head=dict(in_channels=496, norm_cfg=norm_cfg),
    # NHWC images into the backbone: the same network, the memory layout
    # oneDNN's CPU convolutions run fastest (its depthwise convolutions
    # most of all); False gives the paper code's NCHW
    channels_last=True,
    # crops per forward pass at test time: 4 keeps a pass's activations in
    # the CPU's caches, so one process predicts faster than with 64 and two
    # processes do not slow each other down (a GPU wants 64 or more)
    test_cfg=dict(max_crops=4))
