"""Which positive RoIs train the mask head when some proxy masks are dropped.

A positive RoI takes its mask target from its assigned ground truth. When that
ground truth carries ``mask_ignored=True`` (a proxy mask dropped by "proxy box
agreement", BoxCaseg, arXiv 2104.01526, Sec. 3.4), the RoI must not enter the
mask loss; it still trains the box head, which never looks at masks.

How the loss is averaged decides whether this works. The mask loss is the
mean over **all** positive RoIs of the batch, an ignored one adding zero:
``loss_mask = sum_kept l_i / num_pos`` (``l_i`` the mean BCE of RoI ``i``),
so a kept mask weighs the same whatever happens to the others
(:func:`kept_share`). Averaging over the kept RoIs only (what a stock
``FCNMaskHead`` computes on them) gives a batch with one kept RoI as much
mask gradient as a batch with thirty: on PennFudan, with the real masks and
56 % of them flagged, that collapsed the *box* AP of the whole detector,
while the mean over all positives did not (docs/model_zoo.md, the
end-to-end section). **Departure from the paper's code**: the paper only
says dropped masks are "neglected in the back propagation" of the mask
head; its released retraining code (hustvl/BoxCaseg, ``retrain/loss.py``)
averages over the kept RoIs, which in a COCO-sized
batch always holds many of them.
"""
import copy

import torch
from mmdet.models.task_modules.samplers import SamplingResult
from mmengine.structures import InstanceData
from torch import Tensor


def mask_loss_keep(sampling_result: SamplingResult,
                   gt_instances: InstanceData) -> Tensor:
    """Positive RoIs whose assigned ground truth has a usable mask.

    Args:
        sampling_result (SamplingResult): one image's sampled RoIs.
        gt_instances (InstanceData): that image's ground truth, optionally with
            ``mask_ignored`` (bool Tensor ``[num_gts]``); without it every mask
            is used.

    Returns:
        Tensor: bool ``[num_pos]``, True where the RoI enters the mask loss.
    """
    gt_inds = sampling_result.pos_assigned_gt_inds.long()
    ignored = gt_instances.get('mask_ignored', None)
    if ignored is None:
        return torch.ones_like(gt_inds, dtype=torch.bool)
    ignored = torch.as_tensor(ignored, dtype=torch.bool, device=gt_inds.device)
    if ignored.numel() != sampling_result.num_gts:
        raise ValueError(f'gt_instances.mask_ignored has {ignored.numel()} '
                         f'flags for {sampling_result.num_gts} boxes')
    return ~ignored[gt_inds]


def select_positives(sampling_result: SamplingResult,
                     keep: Tensor) -> SamplingResult:
    """A copy of ``sampling_result`` with only the positives in ``keep``.

    Negatives are untouched; every per-positive attribute (``pos_inds``,
    ``pos_priors``, ``pos_assigned_gt_inds``, ``pos_gt_labels``,
    ``pos_gt_bboxes``, ``pos_is_gt``, ...) is indexed by ``keep``.

    Args:
        sampling_result (SamplingResult): one image's sampled RoIs.
        keep (Tensor): bool ``[num_pos]``.

    Returns:
        SamplingResult: a shallow copy; the input is not modified.
    """
    num_pos = sampling_result.pos_inds.numel()
    if keep.shape != (num_pos, ):
        raise ValueError(f'keep has shape {tuple(keep.shape)} for '
                         f'{num_pos} positives')
    out = copy.copy(sampling_result)
    for name, value in vars(sampling_result).items():
        if name.startswith('pos_') and hasattr(value, '__getitem__') \
                and len(value) == num_pos:
            setattr(out, name, value[keep])
    out.num_pos = max(int(keep.sum()), 1)
    out.avg_factor = out.num_pos + out.num_neg \
        if out.avg_factor_with_neg else out.num_pos
    return out


def kept_positives(sampling_results, batch_gt_instances):
    """Per image, which positives enter the mask loss, and the sampling
    results reduced to them (:func:`mask_loss_keep`, :func:`select_positives`).

    Returns:
        tuple: ``keeps`` (list of bool ``[num_pos_i]``) and ``kept`` (list of
        :class:`SamplingResult`).
    """
    keeps = [
        mask_loss_keep(res, gt)
        for res, gt in zip(sampling_results, batch_gt_instances)
    ]
    kept = [
        select_positives(res, k) for res, k in zip(sampling_results, keeps)
    ]
    return keeps, kept


def kept_share(keeps) -> float:
    """Fraction of the batch's positive RoIs whose mask is used.

    The factor that turns a mean over the kept positives into the mean over
    all positives with the ignored ones adding zero (module docstring).

    Args:
        keeps (list[Tensor]): per image, bool ``[num_pos_i]``
            (:func:`kept_positives`).

    Returns:
        float: ``num_kept / num_pos``; 1.0 without positives.
    """
    num_pos = sum(int(k.numel()) for k in keeps)
    num_kept = sum(int(k.sum()) for k in keeps)
    return num_kept / num_pos if num_pos else 1.0


def scale_mask_loss(loss_mask: dict, share: float) -> dict:
    """``loss_mask`` (a dict of loss tensors) times ``share``; no copy when
    the share is 1."""
    if share == 1.0:
        return loss_mask
    return {k: v * share for k, v in loss_mask.items()}
