"""A mask quality head: each crop's mask IoU, predicted.

Not in BoxCaseg (arXiv 2104.01526). The idea is Mask Scoring R-CNN's
(Huang et al., CVPR 2019; mmdet's ``MaskIoUHead``, which this head runs):
from the crop's features and the segmentor's logits, regress the IoU of the
crop's mask with its true mask. BoxCaseg's masks of box crops have no true
mask to learn from, the salient images do: the head learns there, on the
weak head's masks of salient crops (a head that never sees their masks, so
its errors are real ones; the targets:
:func:`~mmboxcaseg.models.segmentors.mask_iou_targets`), and predicts on
box crops. Its inputs are detached: the head reads the segmentor, never
trains it.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS


@MODELS.register_module()
class MaskQualityHead(BaseModule):
    """Predicted IoU of each crop's mask, ``[N]`` in [0, 1].

    The features are average-pooled to ``roi_feat_size`` and the logits
    resized bilinearly to twice that (what ``MaskIoUHead`` max-pools back),
    so any crop size works.

    Args:
        in_channels (int): channels of the features the heads read.
        roi_feat_size (int): pooled feature size. Defaults to 14 (mmdet's).
        conv_out_channels (int): width of the convs. Defaults to 64 (mmdet:
            256; a one-class regression on 128-channel features needs less).
        fc_out_channels (int): width of the fcs. Defaults to 256 (mmdet:
            1024).
        num_convs (int): convs, the last one strided. Defaults to 2.
        loss_weight (float): weight of the MSE loss. Defaults to 0.5
            (mmdet's).
    """

    def __init__(self,
                 in_channels: int,
                 roi_feat_size: int = 14,
                 conv_out_channels: int = 64,
                 fc_out_channels: int = 256,
                 num_convs: int = 2,
                 loss_weight: float = 0.5,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.roi_feat_size = int(roi_feat_size)
        self.head = MODELS.build(
            dict(
                type='mmdet.MaskIoUHead',
                num_convs=num_convs,
                roi_feat_size=self.roi_feat_size,
                in_channels=in_channels,
                conv_out_channels=conv_out_channels,
                fc_out_channels=fc_out_channels,
                num_classes=1,
                loss_iou=dict(type='mmdet.MSELoss', loss_weight=loss_weight)))

    def forward(self, feat: Tensor, logits: Tensor) -> Tensor:
        """``[N, C, h, w]`` features, ``[N, 1, h', w']`` mask logits ->
        ``[N]`` predicted IoU (unclipped; :meth:`predict` clips)."""
        s = self.roi_feat_size
        feat = F.adaptive_avg_pool2d(feat.detach(), s)
        logits = F.interpolate(
            logits.detach(), (2 * s, 2 * s),
            mode='bilinear',
            align_corners=False)
        return self.head(feat, logits[:, 0])[:, 0]

    def loss(self, feat: Tensor, logits: Tensor, targets: Tensor) -> Tensor:
        """MSE between the predicted and the true IoU ``targets`` ``[N]``."""
        return self.head.loss_iou(self(feat, logits), targets)

    @torch.no_grad()
    def predict(self, feat: Tensor, logits: Tensor) -> Tensor:
        """Predicted IoU clipped to [0, 1], ``[N]``."""
        return self(feat, logits).clamp(0, 1)
