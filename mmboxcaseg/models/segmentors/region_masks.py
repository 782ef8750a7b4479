"""From a segmentor's crop probabilities to masks of the box regions.

BoxCaseg's post-processing (arXiv 2104.01526, Sec. 3.3): ``p = sigmoid(S)``,
per-instance min-max normalisation, bilinear resize to the box size,
threshold 0.5 (``test_cfg.mask_thr``). Every path that turns predictions
into masks (evaluation, proxy masks, the Inferencer, the visualizer) calls
:func:`sample_region_masks`: a segmentor's probabilities go through
:func:`region_masks`, final masks (the GrabCut baseline's
``pred_masks``) are taken as they are. Refinement
(:class:`~mmboxcaseg.models.task_modules.GrabCutRefine`) starts from the
normalised region probabilities :func:`region_masks` returns.
"""
from collections import Counter
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from torch import Tensor

from mmboxcaseg.registry import TASK_UTILS
from mmboxcaseg.structures import neighbour_iou

# the score's exponent on the share of its box a mask fills (fill_factor):
# a mask that fills little of its box is more often wrong (coco128, the
# default: mean true IoU 0.61 in the lowest tenth of fills, 0.72 in the
# highest); the fourth root keeps it a mild factor beside the others. 0.25
# ranks best on both coco128 and PennFudan among 0 / 0.1 / 0.25 / 0.5 / 1
# (docs/model_zoo.md, the score table)
FILL_EXPONENT = 0.25


def normalise_minmax(probs: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Per-map min-max normalisation of ``(K, h, w)`` probabilities.

    A map whose range is below ``eps`` (a constant prediction, or box fill's
    constant 1) is returned as it is, so a confidently all-foreground crop
    stays foreground.
    """
    probs = np.asarray(probs, dtype=np.float32)
    if probs.size == 0:
        return probs
    flat = probs.reshape(len(probs), -1)
    low = flat.min(axis=1)[:, None, None]
    span = flat.max(axis=1)[:, None, None] - low
    return np.where(span > eps, (probs - low) / np.maximum(span, eps),
                    probs).astype(np.float32)


def region_probs(probs: np.ndarray, regions: np.ndarray,
                 windows: Optional[np.ndarray] = None,
                 normalise: bool = True) -> List[np.ndarray]:
    """Probability maps of the box regions.

    Each crop map is resized bilinearly (``cv2.INTER_LINEAR``, half-pixel
    centres as ``F.interpolate(align_corners=False)``) to its window and cut
    to its box region. Normalisation uses the crop map's minimum and range
    (the paper normalises before resizing; the two commute, bilinear
    resizing being affine in the values).

    Args:
        probs (np.ndarray): ``(K, h, w)`` probabilities of the crops
            (``h = w = 1`` for a constant map).
        regions (np.ndarray): ``(K, 4)`` int box regions ``x0, y0, x1, y1``.
        windows (np.ndarray, optional): ``(K, 4)`` int crop windows holding
            the regions (default: the regions, a tight crop).
        normalise (bool): min-max normalise each map first (the paper).

    Returns:
        list[np.ndarray]: K float32 maps of shape ``(y1 - y0, x1 - x0)``.
    """
    regions = np.asarray(regions, dtype=np.int64).reshape(-1, 4)
    windows = regions if windows is None else np.asarray(
        windows, dtype=np.int64).reshape(-1, 4)
    if len(probs) != len(regions) or len(windows) != len(regions):
        raise ValueError(f'{len(probs)} probability maps for {len(regions)} '
                         f'regions and {len(windows)} windows')
    probs = np.asarray(probs, dtype=np.float32)
    out = []
    for p, (x0, y0, x1, y1), (wx0, wy0, wx1, wy1) in zip(
            probs, regions, windows):
        if normalise:
            p = normalise_minmax(p[None])[0]
        if not (wx0 <= x0 < x1 <= wx1 and wy0 <= y0 < y1 <= wy1):
            raise ValueError(f'region {(x0, y0, x1, y1)} is not inside its '
                             f'window {(wx0, wy0, wx1, wy1)}')
        full = cv2.resize(
            np.ascontiguousarray(p, dtype=np.float32),
            (int(wx1 - wx0), int(wy1 - wy0)),
            interpolation=cv2.INTER_LINEAR)
        out.append(full[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0])
    return out


def region_masks(probs: np.ndarray,
                 regions: np.ndarray,
                 windows: Optional[np.ndarray] = None,
                 mask_thr: float = 0.5,
                 normalise: bool = True
                 ) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """Masks of the box regions (the paper's post-processing).

    Returns:
        tuple: ``masks`` (K bool ``(y1 - y0, x1 - x0)`` arrays,
        ``prob > mask_thr``) and the region probabilities they came from
        (:func:`region_probs`).
    """
    maps = region_probs(probs, regions, windows, normalise)
    return [m > mask_thr for m in maps], maps


def sample_region_masks(sample, refiners: Optional[dict] = None):
    """The masks a predicted sample asks for, in its box regions.

    Reads ``pred_masks`` (final masks, e.g. GrabCut's) or ``pred_probs``
    with ``regions`` / ``crop_regions`` and the metainfo ``mask_thr`` and
    ``refine`` the model set (:meth:`BoxCaseg.predict`); a refinement needs
    the sample's ``img``.

    Args:
        sample (dict): one image's prediction (``BaseDataElement.to_dict()``
            of :meth:`BoxCaseg.predict`'s output, as metrics receive it).
        refiners (dict, optional): a cache of built refiners (by config).

    Returns:
        tuple: ``masks`` (bool region arrays of the valid boxes),
        ``scores`` (``(K,)``: a quality head's predicted IoU
        ``pred_quality`` where the model has one, else
        :func:`mask_scores` times, under a refinement, the agreement of
        GrabCut's mask with the network's (:class:`GrabCutRefine`); either
        times ``1 -`` the box's largest IoU with another box of the image
        (:func:`~mmboxcaseg.structures.neighbour_iou`) times
        :func:`fill_factor`; for final masks these last two alone) and
        ``stats`` (Counter: the boxes a refinement left unrefined,
        ``refine_small`` / ``refine_disagree`` / ``refine_fallback``
        (:class:`GrabCutRefine`), and the model's ``stats``).
    """
    stats = Counter(sample.get('stats', None) or {})
    regions = sample['regions']
    if 'pred_masks' in sample:
        masks = [np.asarray(m, dtype=bool) for m in sample['pred_masks']]
        return masks, box_factors(sample, masks), stats
    probs = sample['pred_probs']
    windows = sample.get('crop_regions', None)
    thr = float(sample.get('mask_thr', 0.5))
    masks, normed = region_masks(probs, regions, windows, thr)
    agreement = np.ones(len(masks))
    quality = sample.get('pred_quality', None)
    refine = sample.get('refine', None)
    if refine and len(masks):
        img = sample.get('img', None)
        if img is None:
            raise ValueError(
                'refine needs the image in the samples: set '
                'PackBoxImageInputs(keep_image=True) in the test pipeline')
        refiners = {} if refiners is None else refiners
        key = repr(sorted(dict(refine).items()))
        if key not in refiners:
            refiners[key] = TASK_UTILS.build(dict(refine))
        refiner = refiners[key]
        for k, (region, q) in enumerate(zip(regions, normed)):
            masks[k], outcome, agreement[k] = refiner(
                img, region, q, thr, score=quality is None)
            if outcome != 'refined':
                stats['refine_' + outcome] += 1
    if quality is not None:
        # the head scores the crop it sees; what it cannot see (the other
        # boxes of the image) and the final mask's fill add the same
        # factors as to the certainty: they raise the head's rank
        # correlation with the true IoU on both sets (docs/model_zoo.md,
        # the score table)
        scores = np.asarray(quality, dtype=np.float64).reshape(-1)
    else:
        scores = mask_scores(
            region_probs(probs, regions, windows, normalise=False),
            masks) * agreement
    return masks, scores * box_factors(sample, masks), stats


def box_factors(sample, masks: Sequence[np.ndarray]) -> np.ndarray:
    """The score factors every mask gets, whatever made it (the network,
    GrabCut, box fill): ``1 -`` its box's :func:`crowding` times
    :func:`fill_factor`; ``(K,)`` float64."""
    return (1.0 - crowding(sample)) * fill_factor(masks)


def fill_factor(masks: Sequence[np.ndarray]) -> np.ndarray:
    """Each mask's share of its box region, to the power
    :data:`FILL_EXPONENT`: 1 for a mask that fills its box (box fill), 0
    for an empty one; ``(K,)`` float64 for ``K`` region masks."""
    return np.array([float(np.mean(m)) if np.size(m) else 0.0
                     for m in masks], dtype=np.float64)**FILL_EXPONENT


def crowding(sample) -> np.ndarray:
    """Each valid box's largest IoU with another box of its image: the
    sample's ``neighbour_iou`` (:class:`BoxCrops`, over every box of the
    image even where the sample holds a chunk of them), else computed
    from its ``regions``; ``(K,)`` float64."""
    given = sample.get('neighbour_iou', None)
    if given is not None:
        return np.asarray(given, dtype=np.float64).reshape(-1)
    return neighbour_iou(sample['regions'])


def mask_scores(raw: Sequence[np.ndarray],
                masks: Sequence[np.ndarray]) -> np.ndarray:
    """Confidence of each mask: the mean of ``|2p - 1|`` over its box region.

    ``raw`` are the *un-normalised* region probabilities. A score near 1
    says the network was sure of every pixel of the box, foreground or
    background; near 0 that it hesitated everywhere. An empty mask scores 0.
    A mask's score (:func:`sample_region_masks`) is this times, under a
    refinement, GrabCut's agreement with the network: a mask that the
    image's colours and edges redraw a lot is suspect even where the
    network was sure; and always times ``1 -`` the box's largest IoU with
    a neighbour: a box that overlaps another of similar size is often
    masked wrong; and times :func:`fill_factor`: a mask that fills little
    of its box is more often wrong. (See the score table of
    docs/model_zoo.md for how well each ranks masks by their true IoU.)
    """
    out = np.zeros(len(masks), dtype=np.float64)
    for k, (p, m) in enumerate(zip(raw, masks)):
        if m.any():
            out[k] = float(np.abs(2.0 * p - 1.0).mean())
    return out


def mask_iou_targets(logits: Tensor, labels: Tensor,
                     mask_thr: float) -> Tensor:
    """IoU of each crop's mask with its label, the mask made as every mask
    is (sigmoid, :func:`normalise_minmax`, ``> mask_thr``), at the label's
    size: the targets of a quality head
    (:class:`~mmboxcaseg.models.heads.MaskQualityHead`).

    Args:
        logits (Tensor): ``[N, 1, H, W]``, at the labels' size.
        labels (Tensor): ``[N, 1, H, W]``, foreground > 0.
        mask_thr (float): the model's ``test_cfg.mask_thr``.

    Returns:
        Tensor: ``[N]`` float32 IoU in [0, 1] on the logits' device; 1 where
        both are empty.
    """
    probs = logits.detach().float().sigmoid()[:, 0].cpu().numpy()
    masks = normalise_minmax(probs) > mask_thr
    truth = labels[:, 0].detach().cpu().numpy() > 0
    inter = (masks & truth).sum(axis=(1, 2))
    union = (masks | truth).sum(axis=(1, 2))
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    return torch.from_numpy(iou.astype(np.float32)).to(logits.device)
