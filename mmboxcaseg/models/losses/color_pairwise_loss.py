"""Colour-aware pairwise loss (BoxInst, Tian et al., CVPR 2021).

Not in BoxCaseg (arXiv 2104.01526), whose pairwise term
(:class:`BBTPPairwiseLoss`) only smooths the probabilities and never looks at
the image. BoxInst joins each pixel to its 8 neighbours of a 3 x 3 kernel at
a dilation ``d``; an edge whose two colours are similar in CIE LAB,
``S_e = exp(-||lab_i - lab_j|| / theta) >= tau``, and whose centre pixel lies
in the box, asks both ends to take the same label:

    P(y_e = 1) = m_i m_j + (1 - m_i)(1 - m_j),   m = sigmoid(logits)
    loss = -sum_e [S_e >= tau] [i in box] log P(y_e = 1) / #edges

computed in log space (``logaddexp``). As in BoxInst it runs at the
resolution of the logits it is given (the head's stride 4 in
:class:`BoxCaseg`) on the image average-pooled to that size, so a dilation of
2 spans 8 input pixels; edges that leave the map do not exist.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmboxcaseg.registry import MODELS

# sRGB (D65) -> XYZ, rows X, Y, Z
_RGB_TO_XYZ = ((0.412453, 0.357580, 0.180423),
               (0.212671, 0.715160, 0.072169),
               (0.019334, 0.119193, 0.950227))
_WHITE_D65 = (0.950456, 1.0, 1.088754)


def rgb_to_lab(rgb: Tensor) -> Tensor:
    """sRGB in ``[0, 255]`` -> CIE LAB (D65), as ``skimage.color.rgb2lab``.

    Args:
        rgb (Tensor): ``[N, 3, H, W]`` float, channels R, G, B.

    Returns:
        Tensor: ``[N, 3, H, W]``: L in ``[0, 100]``, a, b roughly
        ``[-128, 127]``.
    """
    c = (rgb / 255.0).clamp(0, 1)
    c = torch.where(c > 0.04045, ((c + 0.055) / 1.055).pow(2.4), c / 12.92)
    m = c.new_tensor(_RGB_TO_XYZ)
    xyz = torch.einsum('ij,njhw->nihw', m, c)
    xyz = xyz / c.new_tensor(_WHITE_D65).view(1, 3, 1, 1)
    eps = 0.008856
    f = torch.where(xyz > eps, xyz.clamp(min=1e-12).pow(1 / 3),
                    7.787 * xyz + 16 / 116)
    fx, fy, fz = f.unbind(1)
    y = xyz[:, 1]
    lum = torch.where(y > eps, 116 * fy - 16, 903.3 * y)
    return torch.stack([lum, 500 * (fx - fy), 200 * (fy - fz)], dim=1)


def neighbour_pairs(x: Tensor, dilation: int):
    """``(centre, neighbour)`` views of the 8 neighbours at ``dilation``.

    Args:
        x (Tensor): ``[N, C, H, W]``.
        dilation (int): step to the neighbours.

    Returns:
        list[tuple[Tensor, Tensor]]: 8 pairs of ``[N, C, h, w]`` slices
        where both ends exist (``h = H - d`` or ``H - 2d`` etc.).
    """
    d = int(dilation)
    h, w = x.shape[-2:]
    pairs = []
    for dy in (-d, 0, d):
        for dx in (-d, 0, d):
            if dy == dx == 0:
                continue
            ys, yn = slice(max(0, -dy), h - max(0, dy)), slice(
                max(0, dy), h - max(0, -dy))
            xs, xn = slice(max(0, -dx), w - max(0, dx)), slice(
                max(0, dx), w - max(0, -dx))
            pairs.append((x[:, :, ys, xs], x[:, :, yn, xn]))
    return pairs


@MODELS.register_module()
class ColorPairwiseLoss(nn.Module):
    """BoxInst's colour-aware pairwise loss (see the module docstring).

    Args:
        loss_weight (float): final weight (BoxInst: 1.0).
        theta (float): colour scale of ``S_e`` (BoxInst: 2).
        tau (float): similarity threshold of an edge (BoxInst: 0.3).
        dilation (int): neighbour step at the logits' resolution (2).
        warmup_iters (int): the weight grows linearly from 0 over this many
            training iterations (read from MMEngine's message hub); 0 gives
            the full weight at once.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 theta: float = 2.0,
                 tau: float = 0.3,
                 dilation: int = 2,
                 warmup_iters: int = 0) -> None:
        super().__init__()
        if theta <= 0 or dilation < 1 or warmup_iters < 0:
            raise ValueError('ColorPairwiseLoss needs theta > 0, dilation >= '
                             f'1, warmup_iters >= 0, got {theta}, '
                             f'{dilation}, {warmup_iters}')
        self.loss_weight = float(loss_weight)
        self.theta = float(theta)
        self.tau = float(tau)
        self.dilation = int(dilation)
        self.warmup_iters = int(warmup_iters)

    def ramp(self, it: Optional[int] = None) -> float:
        """Warm-up factor in ``[0, 1]`` at iteration ``it`` (default: the
        message hub's current ``iter``; 1 outside a training run)."""
        if self.warmup_iters == 0:
            return 1.0
        if it is None:
            from mmengine.logging import MessageHub
            it = MessageHub.get_current_instance().get_info('iter')
            if it is None:
                return 1.0
        return min(float(it) / self.warmup_iters, 1.0)

    def similarity_edges(self, rgb: Tensor, box_mask: Tensor, size):
        """The edges that count, at the logits' ``size``.

        Args:
            rgb (Tensor): ``[N, 3, H, W]`` images, RGB in ``[0, 255]``.
            box_mask (Tensor): ``[N, 1, H, W]`` 0/1 box of each crop.
            size (tuple): ``(h, w)`` of the logits.

        Returns:
            list[Tensor]: 8 bool ``[N, 1, h', w']`` maps (one per direction,
            the slices of :func:`neighbour_pairs`).
        """
        if tuple(rgb.shape[-2:]) != tuple(size):
            rgb = F.adaptive_avg_pool2d(rgb.float(), size)
            box_mask = F.adaptive_max_pool2d(box_mask.float(), size)
        lab = rgb_to_lab(rgb.float())
        inside = box_mask > 0
        edges = []
        pairs = neighbour_pairs(lab, self.dilation)
        centres = neighbour_pairs(inside, self.dilation)
        for (a, b), (ci, _) in zip(pairs, centres):
            sim = torch.exp(-(a - b).norm(dim=1, keepdim=True) / self.theta)
            edges.append((sim >= self.tau) & ci)
        return edges

    def forward(self, logits: Tensor, rgb: Tensor, box_mask: Tensor,
                it: Optional[int] = None) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``[N, 1, h, w]`` logits.
            rgb (Tensor): ``[N, 3, H, W]`` the crops, RGB in ``[0, 255]``
                (average-pooled to ``(h, w)`` when larger).
            box_mask (Tensor): ``[N, 1, H, W]`` 0/1: the box in each crop.
            it (int, optional): training iteration for the warm-up.

        Returns:
            Tensor: scalar; 0 (with a graph) when no edge counts.
        """
        if logits.dim() != 4 or logits.size(1) != 1:
            raise ValueError(f'ColorPairwiseLoss expects logits [N, 1, h, w],'
                             f' got {tuple(logits.shape)}')
        weight = self.loss_weight * self.ramp(it)
        with torch.no_grad():
            edges = self.similarity_edges(rgb, box_mask, logits.shape[-2:])
        log_fg = F.logsigmoid(logits)
        log_bg = F.logsigmoid(-logits)
        total = logits.sum() * 0
        count = 0
        for (fi, fj), (bi, bj), e in zip(
                neighbour_pairs(log_fg, self.dilation),
                neighbour_pairs(log_bg, self.dilation), edges):
            log_same = torch.logaddexp(fi + fj, bi + bj)
            total = total - (log_same * e).sum()
            count += int(e.sum())
        return weight * total / max(count, 1)
