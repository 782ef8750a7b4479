"""From segmentor logits of box crops to binary masks of the box regions."""
from typing import List, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from ..layers import resize_to_sizes


def logits_to_region_masks(logits: Tensor,
                           region_sizes: Union[Tensor, np.ndarray,
                                               Sequence[Sequence[int]]],
                           mask_thr: float = 0.5,
                           eps: float = 1e-6) -> List[Tensor]:
    """BoxCaseg's post-processing, batched (method-spec section 5).

    ``p = sigmoid(S)``; per-instance min-max normalisation
    ``(p - min p) / (max p - min p)``; bilinear resize
    (``align_corners=False``) to the instance's region size; ``> mask_thr``.
    A map whose range is below ``eps`` (a constant prediction) is not
    normalised: it is thresholded as ``p`` itself, so a confidently
    all-foreground crop stays foreground. Used by ``BoxCaseg.predict`` and
    by ``mmboxcaseg.apis.predict_region_masks``.

    Args:
        logits (Tensor): ``[N, 1, h, w]`` logits of N crops.
        region_sizes: ``[N, 2]`` ints ``(H_i, W_i)`` (= ``(y1 - y0, x1 -
            x0)`` of the regions from ``box_regions``).
        mask_thr (float): threshold on the normalised probability.
        eps (float): smallest range that is normalised.

    Returns:
        list[Tensor]: N bool masks ``[H_i, W_i]`` on ``logits.device`` (views
        of one padded ``[N, max H_i, max W_i]`` tensor).
    """
    if logits.dim() != 4 or logits.size(1) != 1:
        raise ValueError(f'logits must be [N, 1, h, w], got '
                         f'{tuple(logits.shape)}')
    n = logits.size(0)
    sizes = torch.as_tensor(
        np.asarray(region_sizes, dtype=np.int64)
        if not isinstance(region_sizes, Tensor) else region_sizes,
        device=logits.device).long().reshape(-1, 2)
    if sizes.size(0) != n:
        raise ValueError(f'{n} logit maps but {sizes.size(0)} region sizes')
    if n == 0:
        return []
    if bool((sizes < 1).any()):
        raise ValueError(f'region sizes must be >= 1, got {sizes.tolist()}')
    probs = logits.detach().float().sigmoid().flatten(1)  # [N, h*w]
    low = probs.amin(dim=1, keepdim=True)
    span = probs.amax(dim=1, keepdim=True) - low
    normalised = torch.where(span > eps, (probs - low) / span.clamp(min=eps),
                             probs)
    resized = resize_to_sizes(normalised.view(n, *logits.shape[-2:]), sizes)
    masks = resized > mask_thr
    return [m[:h, :w] for m, (h, w) in zip(masks, sizes.tolist())]
