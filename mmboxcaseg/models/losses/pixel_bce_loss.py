"""The pixel-wise loss of the salient images (BoxCaseg, arXiv 2104.01526,
Sec. 3.3.2): binary cross-entropy with logits against the mask."""
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmboxcaseg.registry import MODELS
from .utils import resize_logits_to


@MODELS.register_module()
class PixelBCELoss(nn.Module):
    """Mean binary cross-entropy with logits over every pixel.

    The same value as mmdet's ``CrossEntropyLoss(use_sigmoid=True)`` with
    mean reduction, without mmdet's model package (which needs mmcv's
    compiled ops).

    Args:
        loss_weight (float): multiplier. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)

    def forward(self, logits: Tensor, label: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): ``[N, 1, h, w]`` logits (upsampled bilinearly to
                the label size when they differ).
            label (Tensor): ``[N, 1, H, W]`` 0/1 mask, any dtype.

        Returns:
            Tensor: scalar.
        """
        logits = resize_logits_to(logits, label.shape[-2:])
        return self.loss_weight * F.binary_cross_entropy_with_logits(
            logits, (label > 0).to(logits.dtype))
