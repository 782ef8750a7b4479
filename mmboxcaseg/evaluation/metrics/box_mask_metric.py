"""Per-instance mask IoU of box-conditioned predictions (class-agnostic stage).

A prediction lives in its box's pixel region (``region`` from
:func:`mmboxcaseg.structures.box_regions`) and is zero outside it, so the IoU
with the whole GT mask is computed exactly from region-sized arrays::

    inter = |pred & gt_mask_crop|      (all of pred lies in the region)
    union = |pred| + gt_area - inter   (gt_area: pixels of the whole GT mask)

An empty prediction of an empty GT mask scores IoU 1.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmboxcaseg.evaluation.functional import (IOU_THRESHOLDS,
                                              summarize_instance_ious)
from mmboxcaseg.registry import METRICS


def _as_bool(mask) -> np.ndarray:
    if isinstance(mask, torch.Tensor):
        mask = mask.detach().cpu().numpy()
    return np.asarray(mask).astype(bool, copy=False)


def region_iou(pred_mask: np.ndarray, gt_mask_crop: np.ndarray,
               gt_area: int) -> float:
    """IoU of a region-local prediction with a whole GT mask.

    Args:
        pred_mask (np.ndarray): bool ``[h, w]`` prediction in the region.
        gt_mask_crop (np.ndarray): ``[h, w]`` GT mask inside the region.
        gt_area (int): pixels of the whole GT mask (>= those in the region).

    Returns:
        float: IoU in [0, 1].
    """
    inter = int(np.count_nonzero(pred_mask & gt_mask_crop))
    union = int(np.count_nonzero(pred_mask)) + int(gt_area) - inter
    return inter / union if union > 0 else 1.0


@METRICS.register_module()
class BoxMaskMetric(BaseMetric):
    """``mIoU*``, ``mIoU`` and ``IoU@25/50/70/75`` of per-instance masks.

    Reads from each data sample: ``pred_mask`` (bool ``[y1-y0, x1-x0]``),
    ``gt_mask_crop`` (same shape), ``gt_area``, ``category_id`` (and
    ``ann_id`` / ``img_id`` to name a bad sample). Results are percentages
    (see :func:`summarize_instance_ious`), logged as a table.

    Args:
        classwise (bool): also log the mean IoU and count of every class.
            Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): key prefix. Defaults to ``'boxmask'``.
    """
    default_prefix: Optional[str] = 'boxmask'

    def __init__(self,
                 classwise: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.classwise = classwise

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Compute each instance's IoU; keep ``(iou, category_id)``."""
        for ds in data_samples:
            name = f'ann id {ds.get("ann_id")} of image {ds.get("img_id")}'
            for key in ('pred_mask', 'gt_mask_crop', 'gt_area', 'category_id'):
                if key not in ds:
                    raise KeyError(f'BoxMaskMetric: {name} has no {key!r} '
                                   '(is the evaluation pipeline TightBoxCrop '
                                   'on a BoxCropDataset with masks?)')
            pred = _as_bool(ds['pred_mask'])
            gt = _as_bool(ds['gt_mask_crop'])
            if pred.shape != gt.shape:
                raise ValueError(f'BoxMaskMetric: {name}: pred_mask is '
                                 f'{pred.shape} but gt_mask_crop is '
                                 f'{gt.shape}')
            gt_area = int(ds['gt_area'])
            if gt_area < np.count_nonzero(gt):
                raise ValueError(f'BoxMaskMetric: {name}: gt_area {gt_area} '
                                 'is smaller than the GT pixels in its box')
            self.results.append((region_iou(pred, gt,
                                            gt_area), int(ds['category_id'])))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        ious = np.array([r[0] for r in results], dtype=np.float64)
        cats = np.array([r[1] for r in results], dtype=np.int64)
        summary = summarize_instance_ious(ious, cats)
        logger = MMLogger.get_current_instance()
        keys = ['mIoU*', 'mIoU'
                ] + [f'IoU@{int(round(k * 100))}' for k in IOU_THRESHOLDS]
        table = [
            keys + ['instances'],
            [f'{summary[k]:.2f}' for k in keys] + [str(summary['instances'])]
        ]
        logger.info('\n' + AsciiTable(table, 'box-to-mask IoU').table)
        if self.classwise:
            logger.info('\n' + self._class_table(ious, cats))
        return {k: float(summary[k]) for k in keys}

    def _class_table(self, ious: np.ndarray, cats: np.ndarray) -> str:
        meta = self.dataset_meta or {}
        names = dict(zip(meta.get('cat_ids', []), meta.get('classes', [])))
        classes, inverse = np.unique(cats, return_inverse=True)
        mean = np.bincount(inverse, weights=ious) / np.bincount(inverse)
        rows = [['category', 'mIoU', 'instances']]
        for c, m, n in zip(classes, mean, np.bincount(inverse)):
            rows.append([str(names.get(int(c), c)), f'{100 * m:.2f}', str(n)])
        return AsciiTable(rows, 'per class').table
