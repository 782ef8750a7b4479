# BoxCaseg as in the paper: HRNetV2-W48, all four branches upsampled to
# stride 4 and concatenated (48 + 96 + 192 + 384 = 720 channels), three heads.
#
# ImageNet weights (no download at run time): fetch mmpretrain's HRNet-W48
# ImageNet checkpoint, e.g. hrnet-w48_3rdparty_8xb32_in1k_20220120-e555ef50.pth
# from the mmpretrain model zoo, on a machine with internet, copy it here and
# set `pretrained` below (or, in a derived config,
# model = dict(backbone=dict(init_cfg=dict(
#     type='Pretrained', checkpoint='checkpoints/<file>.pth',
#     prefix='backbone.'))) ).
pretrained = None  # local path of an mmpretrain HRNet-W48 ImageNet checkpoint
norm_cfg = dict(type='SyncBN', requires_grad=True)  # BN when not distributed

model = dict(
    type='BoxCaseg',
    data_preprocessor=dict(
        type='BoxCasegDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='mmpretrain.HRNet',
        arch='w48',
        norm_cfg=norm_cfg,
        # without a checkpoint: mmpretrain HRNet's own default init
        init_cfg=dict(
            type='Pretrained', checkpoint=pretrained, prefix='backbone.')
        if pretrained else [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
        ]),
    neck=dict(type='HRNetV2Concat', in_channels=[48, 96, 192, 384]),
    weak_head=dict(type='BoxCasegHead', in_channels=720, norm_cfg=norm_cfg),
    salient_head=dict(type='BoxCasegHead', in_channels=720, norm_cfg=norm_cfg),
    transferred_head=dict(
        type='TransferredHead', in_channels=720, norm_cfg=norm_cfg),
    # weight of the salient head in S_mix (released code: 0.7 VOC, 0.6 COCO)
    salient_weight=0.7,
    mil_loss=dict(type='BBTPMILLoss', loss_weight=1.0),
    pairwise_loss=dict(type='BBTPPairwiseLoss', loss_weight=0.05),
    pixel_loss=dict(
        type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    test_cfg=dict(pred='mixed', mask_thr=0.5))
