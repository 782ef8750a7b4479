# BoxCaseg as in the paper: HRNetV2-W48, all four branches upsampled to
# stride 4 and concatenated (48 + 96 + 192 + 384 = 720 channels), three heads.
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
        # ImageNet weights: a local copy of mmpretrain's HRNet-W48 checkpoint
        # (hrnet-w48_3rdparty_8xb32_in1k_20220120-e555ef50.pth; nothing is
        # downloaded at run time), given with
        #   --cfg-options model.backbone.init_cfg.checkpoint=PATH
        # Left None, the backbone trains from random weights (the log says so
        # loudly): the paper starts from ImageNet.
        init_cfg=dict(type='Pretrained', checkpoint=None, prefix='backbone.')),
    neck=dict(type='UpsampleConcat', in_channels=[48, 96, 192, 384]),
    weak_head=dict(type='BoxCasegHead', in_channels=720, norm_cfg=norm_cfg),
    salient_head=dict(type='BoxCasegHead', in_channels=720, norm_cfg=norm_cfg),
    transferred_head=dict(
        type='TransferredHead', in_channels=720, norm_cfg=norm_cfg),
    # weight of the salient head in S_mix (released code: 0.7 VOC, 0.6 COCO)
    salient_weight=0.7,
    mil_loss=dict(type='BBTPMILLoss', loss_weight=1.0),
    pairwise_loss=dict(type='BBTPPairwiseLoss', loss_weight=0.05),
    pixel_loss=dict(type='PixelBCELoss', loss_weight=1.0),
    test_cfg=dict(pred='mixed', mask_thr=0.5))
