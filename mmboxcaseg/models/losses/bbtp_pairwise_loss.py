"""Pairwise (smoothness) loss of BBTP on the 8-neighbourhood."""
import torch
import torch.nn as nn
from torch import Tensor

from mmboxcaseg.registry import MODELS


def outside_neighbour_count(height: int, width: int, device=None) -> Tensor:
    """How many of each pixel's 8 neighbours lie outside an H x W map.

    Returns:
        Tensor: ``[H, W]`` float: 0 inside, 3 on an edge, 5 in a corner
        (more for maps one pixel thin).
    """

    def inside(n):  # neighbours along one axis that exist, incl. itself
        i = torch.arange(n, device=device)
        return 1. + (i > 0).float() + (i < n - 1).float()

    return 9. - inside(height)[:, None] * inside(width)[None, :]


def neighbour_square_sum(probs: Tensor) -> Tensor:
    """``sum_i sum_{j in N8(i)} (p_i - p_j)^2`` with zero padding.

    Every pair of adjacent pixels appears in two directions (``j`` of ``i``
    and ``i`` of ``j``), so it is computed once for the four directions
    right, down, down-right and down-left, and counted twice; a pixel's
    neighbours in the zero padding add ``p_i^2`` each. Whole-map slices,
    no loop over pixels and no ``unfold`` copy
    (``tools/analysis_tools/benchmark_segmentor.py`` times it against
    padded shifts one direction at a time).

    Args:
        probs (Tensor): ``[N, 1, H, W]``.

    Returns:
        Tensor: scalar sum over the batch.
    """
    p = probs[:, 0]
    pairs = ((p[:, :, :-1] - p[:, :, 1:]).square().sum()  # right
             + (p[:, :-1] - p[:, 1:]).square().sum()  # down
             + (p[:, :-1, :-1] - p[:, 1:, 1:]).square().sum()  # down-right
             + (p[:, :-1, 1:] - p[:, 1:, :-1]).square().sum())  # down-left
    border = outside_neighbour_count(*p.shape[-2:], device=p.device)
    return 2 * pairs + (p.square() * border.to(p.dtype)).sum()


@MODELS.register_module()
class BBTPPairwiseLoss(nn.Module):
    """``mean_dirs mean_pixels (p_i - p_j)^2`` on ``p = sigmoid(S)``.

    For each of the 8 neighbours ``j`` of a pixel ``i`` (3 x 3 window, zero
    padding), the squared difference of the foreground probabilities;
    mean over pixels (and images), mean over the 8 directions, times
    ``loss_weight`` (0.05 in BBTP / BoxCaseg). Not colour-aware.

    Args:
        loss_weight (float): multiplier. Defaults to 0.05.
    """

    def __init__(self, loss_weight: float = 0.05) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``[N, 1, H, W]`` logits (already at the label
                size, see :class:`BoxCaseg`).

        Returns:
            Tensor: scalar loss.
        """
        if logits.dim() != 4 or logits.size(1) != 1:
            raise ValueError(f'BBTPPairwiseLoss expects logits of shape '
                             f'[N, 1, H, W], got {tuple(logits.shape)}')
        # every direction has N*H*W terms: mean over pixels and directions
        return self.loss_weight * neighbour_square_sum(
            logits.sigmoid()) / (8 * logits.numel())
