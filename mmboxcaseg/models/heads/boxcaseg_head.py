"""The segmentation head shared by the weak and the salient branch."""
from typing import Optional, Tuple

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS


@MODELS.register_module()
class BoxCasegHead(BaseModule):
    """``Conv1x1(C->C, bias) -> BN -> ReLU -> Conv1x1(C->1)``.

    Both convs are initialised N(0, ``init_std``) with zero bias when the head
    is built (the paper's 0.001).

    Args:
        in_channels (int): ``C``, channels of the neck's output.
        norm_cfg (dict): norm layer (``BN``, ``SyncBN``). Defaults to BN.
        init_std (float): std of the conv weights. Defaults to 0.001.
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_std: float = 0.001,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, in_channels, 1, bias=True)
        self.bn = build_norm_layer(norm_cfg, in_channels)[1]
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(in_channels, 1, 1, bias=True)
        for conv in self.convs:
            nn.init.normal_(conv.weight, 0, init_std)
            nn.init.zeros_(conv.bias)

    @property
    def convs(self) -> Tuple[nn.Conv2d, nn.Conv2d]:
        """The two convs, the source of :class:`TransferredHead`."""
        return self.conv1, self.conv2

    def forward(self, x: Tensor) -> Tensor:
        """``[N, C, h, w]`` features -> ``[N, 1, h, w]`` logits."""
        return self.conv2(self.relu(self.bn(self.conv1(x))))
