"""Upsample every backbone level to the finest and concatenate them (the
HRNetV2 representation, for HRNet and EfficientNet backbones alike)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS


@MODELS.register_module()
class UpsampleConcat(BaseModule):
    """Upsample every backbone map to the first one and concatenate.

    The paper's HRNetV2 representation, for any backbone whose first map is
    the finest: HRNetV2-W48's four maps (48/96/192/384 channels at strides
    4/8/16/32) give 720 channels at stride 4, W18 270, EfficientNet-Lite0
    (24/40/112/320) 496. No parameters (the paper).

    ``reduce_channels`` (not in the paper; for CPU budgets) adds
    ``Conv1x1(sum(C_i) -> reduce_channels) -> BN -> ReLU`` after the
    concatenation, so that the three heads' ``C x C`` convolutions at stride
    4 cost ``(reduce_channels / sum(C_i))^2`` of the paper's. It is computed
    without building the concatenation: bilinear upsampling and a 1x1
    convolution are both linear and act on different axes, so
    ``W @ cat_i(up(x_i)) = sum_i up(W_i @ x_i)`` with ``W_i`` the columns of
    ``W`` that read map ``i``; each map is projected at its own resolution
    and only ``reduce_channels`` channels are upsampled (the same function
    and parameters, less memory traffic).

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
                raise ValueError('UpsampleConcat: reduce_channels needs '
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
                raise ValueError(f'UpsampleConcat expects maps with channels '
                                 f'{self.in_channels}, got {got}')
        size = inputs[0].shape[-2:]
        if self.reduce is not None:
            return (self._project_then_upsample(inputs, size), )
        maps = [inputs[0]] + [self._up(x, size) for x in inputs[1:]]
        return (torch.cat(maps, dim=1), )

    def _up(self, x: Tensor, size) -> Tensor:
        return F.interpolate(
            x, size=size, mode='bilinear', align_corners=self.align_corners)

    def _project_then_upsample(self, inputs: Sequence[Tensor],
                               size) -> Tensor:
        """``self.reduce(cat(up(x_i)))`` as ``act(norm(sum_i up(W_i x_i) +
        b))``: the same function, without the ``sum(C_i)``-channel map."""
        conv = self.reduce.conv
        out = None
        for i, (x, w) in enumerate(
                zip(inputs, torch.split(conv.weight, self.in_channels, 1))):
            y = F.conv2d(x, w)
            y = self._up(y, size) if i else y
            out = y if out is None else out + y
        if conv.bias is not None:
            out = out + conv.bias.view(1, -1, 1, 1)
        if self.reduce.with_norm:
            out = self.reduce.norm(out)
        if self.reduce.with_activation:
            out = self.reduce.activate(out)
        return out
