"""Multiple-instance-learning loss of BBTP (bounding-box tightness prior).

Every row and every column of a crop is a *bag* of pixels. A row/column that
crosses the object (the box for a box-supervised crop, the mask for a salient
image) is a positive bag: at least one of its pixels is foreground. Every
other row/column is a negative bag. The score of a bag is the maximum logit
over its pixels; the loss is binary cross-entropy with logits, averaged over
all ``N x (H + W)`` bags (BBTP, Hsu et al., NeurIPS 2019; BoxCaseg,
arXiv 2104.01526, Sec. 3.1 and Eq. 1).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmboxcaseg.registry import MODELS
from .utils import resize_logits_to


def bag_max(maps: Tensor) -> Tensor:
    """Bag scores of maps: max over every column, then over every row.

    Args:
        maps (Tensor): ``[N, 1, H, W]`` (logits or 0/1 labels).

    Returns:
        Tensor: ``[N, W + H]``: the ``W`` column maxima followed by the ``H``
        row maxima.
    """
    maps = maps.flatten(0, 1)  # [N, H, W]
    return torch.cat([maps.amax(dim=1), maps.amax(dim=2)], dim=1)


@MODELS.register_module()
class BBTPMILLoss(nn.Module):
    """BBTP MIL loss on row and column bags.

    Args:
        loss_weight (float): multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, label: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``[N, 1, h, w]`` logits of the weak head. When
                ``(h, w)`` differs from the label's size they are first
                upsampled bilinearly (``align_corners=False``) to it;
                :class:`BoxCaseg` already passes label-sized logits.
            label (Tensor): ``[N, 1, H, W]`` 0/1 box label (or mask), any
                dtype.

        Returns:
            Tensor: scalar, the mean BCE over the ``N x (H + W)`` bags times
            ``loss_weight``. A box covering the whole crop gives only
            positive bags (finite loss).
        """
        if label.dim() != 4 or label.size(1) != 1:
            raise ValueError(
                f'BBTPMILLoss expects a label of shape [N, 1, H, W], got '
                f'{tuple(label.shape)}')
        logits = resize_logits_to(logits, label.shape[-2:])
        bag_logits = bag_max(logits)
        bag_labels = bag_max((label > 0).to(logits.dtype))
        loss = F.binary_cross_entropy_with_logits(bag_logits, bag_labels)
        return self.loss_weight * loss
