"""Shape helpers shared by the BoxCaseg losses."""
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor


def resize_logits_to(logits: Tensor, size: Sequence[int]) -> Tensor:
    """Bilinearly upsample ``[N, 1, h, w]`` logits to ``size = (H, W)``.

    Returns the input itself when it already has that size. Raises a
    ``ValueError`` for anything that is not a ``[N, 1, h, w]`` map.
    """
    if logits.dim() != 4 or logits.size(1) != 1:
        raise ValueError(f'expected logits of shape [N, 1, h, w], got '
                         f'{tuple(logits.shape)}')
    size = tuple(int(s) for s in size)
    if tuple(logits.shape[-2:]) == size:
        return logits
    return F.interpolate(
        logits, size=size, mode='bilinear', align_corners=False)
