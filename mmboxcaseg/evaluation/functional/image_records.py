"""One image's masks -> its proxy records: paste, merge, drop, RLE, score.

:func:`image_records` is the whole per-image step of stage 2 (BoxCaseg,
arXiv 2104.01526, Sec. 3.4), a pure function of one predicted sample: the
evaluation metric, the proxy writer and the Inferencer call it, in threads
beside the network when asked to.
"""
from collections import Counter
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from mmboxcaseg.models.segmentors.region_masks import sample_region_masks
from mmboxcaseg.structures import paste_masks
from mmboxcaseg.structures.box_agreement import drop_by_box_agreement
from mmboxcaseg.structures.coco_index import SKIP_REASONS
from mmboxcaseg.structures.coco_masks import (empty_rle, encode_masks,
                                              paired_iou, segmentation_to_rle)
from mmboxcaseg.structures.mask_merge import painting_rank


@dataclass
class ProxySettings:
    """What the per-image steps do.

    Attributes:
        merge (bool): "smaller object better" (:func:`merge_smaller_first`).
        drop_thr (float): ignore masks whose agreement is below (0: none).
        agreement (str): ``'snapped'`` or ``'literal'`` (see
            :mod:`mmboxcaseg.structures.box_agreement`).
        drop_score_thr (float): also ignore masks whose ``score`` is below
            (0: none). Not in the paper: its drop by agreement does not
            find the wrong masks here (docs/model_zoo.md).
        with_gt (bool): score each proxy against its GT mask when the sample
            has one.
    """
    merge: bool = True
    drop_thr: float = 0.0
    agreement: str = 'snapped'
    drop_score_thr: float = 0.0
    with_gt: bool = True


# Full-image masks of one image are pasted, merged, dropped and encoded this
# many pixels at a time (128 MiB of bool): an image's memory stays flat in
# its box count (a crowd of 3,000 boxes on a 640 x 480 photo would need
# 0.9 GB at once, on a 12 MP photo 36 GB).
MAX_PASTED_PIXELS = 1 << 27


def full_image_steps(masks, regions, boxes, img_shape, settings,
                     max_pixels: int = MAX_PASTED_PIXELS):
    """Paste box-local masks into the image, merge, drop and encode them,
    in chunks of at most ``max_pixels`` pasted pixels.

    The result equals the one-shot computation
    ``merge_smaller_first(paste_masks(...))`` then drop and encode: the
    merge's owner map (the painting rank of the mask that wins each pixel)
    is a maximum over masks, taken chunk by chunk in a first pass; each
    mask then keeps its pixels where it is the owner (second pass). Box
    agreement and RLE are per mask.

    Args:
        masks (list[np.ndarray]): N bool masks, the i-th of its region's
            size.
        regions (np.ndarray): (N, 4) int ``x0, y0, x1, y1`` regions.
        boxes (np.ndarray): (N, 4) float ``x1, y1, x2, y2`` boxes.
        img_shape (tuple): ``(H, W)``.
        settings (ProxySettings): merge / drop.
        max_pixels (int): pasted pixels per chunk (at least one mask).

    Returns:
        tuple: N RLEs, (N,) agreement, (N,) bool ignored.
    """
    h, w = img_shape
    n = len(masks)
    step = max(1, int(max_pixels) // max(1, h * w))
    chunks = [slice(i, min(n, i + step)) for i in range(0, n, step)]
    regions = np.asarray(regions).reshape(-1, 4)

    def pasted(sl):
        return paste_masks(masks[sl], regions[sl], (h, w), column_major=True)

    owner = rank = None
    if settings.merge and n > 1:
        rank = painting_rank(boxes)
        rank = rank.astype(np.min_scalar_type(n))
        owner = np.zeros((w, h), rank.dtype).T  # column-major like masks
        for sl in chunks:
            np.maximum(owner, (pasted(sl) * rank[sl, None, None]).max(0),
                       out=owner)
    rles, agreement, ignored = [], [], []
    for sl in chunks:
        part = pasted(sl)
        if owner is not None:
            part &= owner[None] == rank[sl, None, None]
        a, ig = drop_by_box_agreement(part, boxes[sl], settings.drop_thr,
                                      settings.agreement)
        agreement.append(np.asarray(a))
        ignored.append(np.asarray(ig))
        rles += encode_masks(part)
        del part
    return (rles, np.concatenate(agreement) if agreement else np.zeros(0),
            np.concatenate(ignored) if ignored else np.zeros(0, bool))


def image_records(sample,
                  settings: ProxySettings,
                  refiners: Optional[dict] = None
                  ) -> Tuple[List[dict], Counter]:
    """The records of every non-crowd annotation of one image.

    Args:
        sample (dict): a predicted sample of
            :class:`~mmboxcaseg.datasets.BoxImageDataset` as a dict
            (``BaseDataElement.to_dict()``, as metrics receive it: ``ann_ids``,
            ``category_ids``, ``boxes``, ``skip``, ``valid``, ``regions``,
            optionally ``segmentations``; ``pred_probs`` or ``pred_masks``).
        settings (ProxySettings): merge / drop / scoring.
        refiners (dict, optional): cache for :func:`sample_region_masks`.

    Returns:
        tuple: records (one dict per annotation, input order: ``id``,
        ``category_id``, ``segmentation`` (RLE of the image size, empty when
        skipped), ``proxy_agreement``, ``mask_ignored``, ``skip`` (reason or
        None), ``score``, ``gt_iou`` (None without a usable GT mask) and
        ``gt_invalid`` when the GT mask could not be read) and the image's
        event counts (e.g. ``grabcut_fallback``).
    """
    h, w = (int(v) for v in sample['ori_shape'])
    skip = np.asarray(sample['skip'])
    valid = np.asarray(sample.get('valid', skip == 0), dtype=bool)
    problem = sample.get('problem', None)
    n_valid = int(valid.sum())
    rles, agreement, ignored, scores = [], [], [], []
    stats = Counter()
    if n_valid:
        masks, scores, stats = sample_region_masks(sample, refiners)
        if len(masks) != n_valid:
            raise RuntimeError(f'{len(masks)} masks for {n_valid} boxes of '
                               f'image {sample.get("img_path")}')
        boxes = np.asarray(sample['boxes'], dtype=np.float64)[valid]
        rles, agreement, ignored = full_image_steps(
            masks, sample['regions'], boxes, (h, w), settings)
    gts = sample.get('segmentations', None) if settings.with_gt else None
    records, k = [], 0
    empty = None
    scored, gt_rles = [], []
    for j, ann_id in enumerate(sample['ann_ids']):
        rec = dict(id=ann_id, category_id=sample['category_ids'][j])
        if valid[j]:
            rec.update(
                segmentation=rles[k],
                proxy_agreement=float(agreement[k]),
                mask_ignored=bool(ignored[k]
                                  or scores[k] < settings.drop_score_thr),
                skip=None,
                score=float(scores[k]),
                gt_iou=None)
            if gts is not None and gts[j]:
                try:
                    gt = segmentation_to_rle(gts[j], h, w)
                except ValueError:
                    rec['gt_invalid'] = True
                    gt = None
                if gt is not None:
                    scored.append(rec)
                    gt_rles.append(gt)
            k += 1
        else:
            if empty is None:
                empty = empty_rle(h, w)
            code = int(skip[j])
            reason = SKIP_REASONS[code - 1] if code else problem
            rec.update(
                segmentation=empty,
                proxy_agreement=0.0,
                mask_ignored=True,
                skip=reason or 'image_unreadable',
                score=0.0,
                gt_iou=None)
        records.append(rec)
    if scored:
        ious = paired_iou([r['segmentation'] for r in scored], gt_rles)
        for rec, iou in zip(scored, ious):
            rec['gt_iou'] = float(iou)
    return records, stats
