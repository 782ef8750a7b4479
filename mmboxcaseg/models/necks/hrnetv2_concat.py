"""HRNetV2 representation: all branches upsampled and concatenated."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS


@MODELS.register_module()
class HRNetV2Concat(BaseModule):
    """Upsample every backbone map to the first one and concatenate.

    With HRNetV2-W48's four maps (48/96/192/384 channels at strides
    4/8/16/32) the output has 720 channels at stride 4; W18 gives 270,
    EfficientNet-Lite0 (24/40/112/320) 496. No parameters.

    Args:
        in_channels (Sequence[int], optional): expected channels of the
            inputs, checked at forward time when given.
        align_corners (bool): of the bilinear upsampling. Defaults to False.
    """

    def __init__(self,
                 in_channels: Optional[Sequence[int]] = None,
                 align_corners: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = None if in_channels is None else list(in_channels)
        self.align_corners = align_corners

    @property
    def out_channels(self) -> Optional[int]:
        """``sum(in_channels)`` when known."""
        return None if self.in_channels is None else sum(self.in_channels)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """Fuse the maps.

        Args:
            inputs (Sequence[Tensor]): maps ``[N, C_i, H_i, W_i]``, the first
                the largest.

        Returns:
            tuple[Tensor]: one map ``[N, sum(C_i), H_0, W_0]``.
        """
        if self.in_channels is not None:
            got = [x.size(1) for x in inputs]
            if got != self.in_channels:
                raise ValueError(f'HRNetV2Concat expects maps with channels '
                                 f'{self.in_channels}, got {got}')
        size = inputs[0].shape[-2:]
        maps = [inputs[0]] + [
            F.interpolate(
                x,
                size=size,
                mode='bilinear',
                align_corners=self.align_corners) for x in inputs[1:]
        ]
        return (torch.cat(maps, dim=1), )
