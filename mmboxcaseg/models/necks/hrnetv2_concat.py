"""HRNetV2 representation: all branches upsampled and concatenated."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS


@MODELS.register_module()
class HRNetV2Concat(BaseModule):
    """Upsample every backbone map to the first one and concatenate.

    With HRNetV2-W48's four maps (48/96/192/384 channels at strides
    4/8/16/32) the output has 720 channels at stride 4; W18 gives 270,
    EfficientNet-Lite0 (24/40/112/320) 496. No parameters (the paper).

    ``reduce_channels`` (not in the paper; for CPU budgets) adds
    ``Conv1x1(sum(C_i) -> reduce_channels) -> BN -> ReLU`` after the
    concatenation, so that the three heads' ``C x C`` convolutions at stride
    4 cost ``(reduce_channels / sum(C_i))^2`` of the paper's.

    Args:
        in_channels (Sequence[int], optional): expected channels of the
            inputs, checked at forward time when given (required with
            ``reduce_channels``).
        align_corners (bool): of the bilinear upsampling. Defaults to False.
        reduce_channels (int, optional): channels after the optional
            projection. Defaults to None (no projection).
        norm_cfg (dict): norm of the projection. Defaults to BN.
    """

    def __init__(self,
                 in_channels: Optional[Sequence[int]] = None,
                 align_corners: bool = False,
                 reduce_channels: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = None if in_channels is None else list(in_channels)
        self.align_corners = align_corners
        self.reduce_channels = reduce_channels
        self.reduce = None
        if reduce_channels is not None:
            if self.in_channels is None:
                raise ValueError('HRNetV2Concat: reduce_channels needs '
                                 'in_channels')
            self.reduce = ConvModule(
                sum(self.in_channels),
                reduce_channels,
                1,
                norm_cfg=norm_cfg,
                act_cfg=dict(type='ReLU'))

    @property
    def out_channels(self) -> Optional[int]:
        """``reduce_channels``, else ``sum(in_channels)`` when known."""
        if self.reduce_channels is not None:
            return self.reduce_channels
        return None if self.in_channels is None else sum(self.in_channels)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        """Fuse the maps.

        Args:
            inputs (Sequence[Tensor]): maps ``[N, C_i, H_i, W_i]``, the first
                the largest.

        Returns:
            tuple[Tensor]: one map ``[N, sum(C_i), H_0, W_0]`` (or
            ``[N, reduce_channels, H_0, W_0]``).
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
        out = torch.cat(maps, dim=1)
        if self.reduce is not None:
            out = self.reduce(out)
        return (out, )
