"""The transferred head: the weak head's convs, mapped by weight transfer."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS
from ..layers import WeightTransfer
from .boxcaseg_head import BoxCasegHead


@MODELS.register_module()
class TransferredHead(BaseModule):
    """A :class:`BoxCasegHead` whose two conv weights come from another head.

    It owns no conv weights: at every forward, one :class:`WeightTransfer`
    per conv maps the *detached* weight and bias of the source head's conv
    (the weak head) to this head's. It has its own BN (the source's BN is not
    transferred) and ReLU. The source is passed to :meth:`forward`, so it is
    not registered twice as a submodule.

    Args:
        in_channels (int): ``C``; must equal the source head's.
        norm_cfg (dict): norm layer. Defaults to BN.
        transfer_cfg (dict): extra arguments of :class:`WeightTransfer`
            (``hidden_ratio``, ``negative_slope``, ``init_std``).
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 transfer_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        transfer_cfg = transfer_cfg or dict()
        self.in_channels = in_channels
        # 1x1 convs: a row of C_in * k * k = C values
        self.transfer1 = WeightTransfer(in_channels, **transfer_cfg)
        self.transfer2 = WeightTransfer(in_channels, **transfer_cfg)
        self.bn = build_norm_layer(norm_cfg, in_channels)[1]
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor, source: BoxCasegHead) -> Tensor:
        """Predict with transferred weights.

        Args:
            x (Tensor): ``[N, C, h, w]`` features.
            source (BoxCasegHead): the head whose convs are transferred.

        Returns:
            Tensor: ``[N, 1, h, w]`` logits.
        """
        conv1, conv2 = source.convs
        weight, bias = self.transfer1(conv1.weight, conv1.bias)
        x = F.conv2d(x, weight, bias, conv1.stride, conv1.padding,
                     conv1.dilation)
        x = self.relu(self.bn(x))
        weight, bias = self.transfer2(conv2.weight, conv2.bias)
        return F.conv2d(x, weight, bias, conv2.stride, conv2.padding,
                        conv2.dilation)
