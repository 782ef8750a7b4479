"""Summaries of per-instance mask IoU used by the class-agnostic stage.

``mIoU*`` (the paper's headline number) is the mean over classes of the mean
instance IoU within each class; ``IoU@k`` is the share of instances whose IoU
is strictly greater than ``k``.
"""
from typing import Dict, Sequence

import numpy as np

IOU_THRESHOLDS = (0.25, 0.5, 0.7, 0.75)


def summarize_instance_ious(
        ious: Sequence[float],
        category_ids: Sequence[int],
        thresholds: Sequence[float] = IOU_THRESHOLDS) -> Dict[str, float]:
    """Summarise per-instance IoUs, in percent.

    Args:
        ious (Sequence[float]): IoU of each instance, in [0, 1].
        category_ids (Sequence[int]): class of each instance (same length).
        thresholds (Sequence[float]): the ``k`` of ``IoU@k``.

    Returns:
        dict: ``mIoU*`` (class-mean), ``mIoU`` (instance mean), ``IoU@25``,
        ``IoU@50``, ... (percent, instances with IoU > k) and ``instances``.
    """
    ious = np.asarray(ious, dtype=np.float64).reshape(-1)
    cats = np.asarray(category_ids).reshape(-1)
    if ious.shape != cats.shape:
        raise ValueError(f'{ious.size} IoUs but {cats.size} category ids')
    if ious.size == 0:
        raise ValueError('no instance to summarise')
    classes, inverse = np.unique(cats, return_inverse=True)
    per_class = np.bincount(inverse, weights=ious) / np.bincount(inverse)
    out = {
        'mIoU*': float(100.0 * per_class.mean()),
        'mIoU': float(100.0 * ious.mean()),
    }
    for k in thresholds:
        out[f'IoU@{int(round(k * 100))}'] = 100.0 * float((ious > k).mean())
    out['instances'] = int(ious.size)
    return out
