"""Standard RoI head that runs the mask branch on usable masks only."""
from typing import List, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList
from torch import Tensor

from mmboxcaseg.registry import MODELS
from .mask_ignore import kept_positives, kept_share, scale_mask_loss


@MODELS.register_module()
class IgnoreAwareRoIHead(StandardRoIHead):
    """``StandardRoIHead`` whose mask branch skips dropped proxy masks.

    Training only: positive RoIs assigned to a ground truth with
    ``mask_ignored == True`` are removed before the mask RoI extractor and the
    mask head run, so they cost nothing (BoxCaseg's drop threshold 0.95
    can drop most of a set's proxy masks). The box branch, the
    sampling and inference are ``StandardRoIHead``'s. The mask head then sees
    the kept positives only and its loss is scaled by their share of all
    positives, so with any ``FCNMaskHead`` the loss is the mean over all
    positives with the ignored ones adding zero (the same number
    ``IgnoreAwareFCNMaskHead`` gives under ``StandardRoIHead``);
    :class:`~mmboxcaseg.models.roi_heads.IgnoreAwareFCNMaskHead` is the one
    that is also correct under other RoI heads.
    """

    def mask_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult], bbox_feats: Tensor,
                  batch_gt_instances: InstanceList) -> dict:
        """Mask forward and loss on the positives with a usable mask.

        Args:
            x (tuple[Tensor]): multi-level features, each ``[B, C, H, W]``.
            sampling_results (list[SamplingResult]): per image.
            bbox_feats (Tensor): ``[num_rois, C, h, w]`` box RoI features,
                per image the positives then the negatives (used when the
                mask branch shares the box RoI extractor).
            batch_gt_instances (list[InstanceData]): per image, optionally
                with ``mask_ignored`` (bool ``[num_gts]``).

        Returns:
            dict: ``mask_preds`` ``[num_kept, num_classes, h, w]``,
            ``mask_feats``, ``loss_mask`` (dict).
        """
        keeps, kept_results = kept_positives(sampling_results,
                                             batch_gt_instances)
        if not self.share_roi_extractor:
            pos_rois = bbox2roi([res.pos_priors for res in kept_results])
            mask_results = self._mask_forward(x, pos_rois)
        else:
            # rows of ``bbox_feats``: per image its positives, then negatives
            pos_inds = torch.cat([
                torch.cat([k, k.new_zeros(res.neg_priors.shape[0])])
                for k, res in zip(keeps, sampling_results)
            ])
            mask_results = self._mask_forward(
                x, pos_inds=pos_inds, bbox_feats=bbox_feats)

        mask_loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'],
            sampling_results=kept_results,
            batch_gt_instances=batch_gt_instances,
            rcnn_train_cfg=self.train_cfg)
        mask_results.update(loss_mask=scale_mask_loss(
            mask_loss_and_target['loss_mask'], kept_share(keeps)))
        return mask_results
