"""FCN mask head whose loss skips RoIs of dropped proxy masks."""
from typing import List

import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from torch import nn
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.utils import InstanceList
from mmengine.config import ConfigDict
from torch import Tensor

from mmboxcaseg.registry import MODELS
from .mask_ignore import kept_positives, kept_share, scale_mask_loss


@MODELS.register_module()
class IgnoreAwareFCNMaskHead(FCNMaskHead):
    """``FCNMaskHead`` that ignores masks flagged ``mask_ignored``.

    A positive RoI whose assigned ground truth has
    ``gt_instances.mask_ignored == True`` gets no mask target and adds zero
    to ``loss_mask``, which stays the mean over *all* positives: what
    ``FCNMaskHead`` computes on the kept RoIs times their share of the
    positives (:func:`~mmboxcaseg.models.roi_heads.kept_share`; why not the
    mean over the kept ones: :mod:`~mmboxcaseg.models.roi_heads.mask_ignore`).
    If no
    positive is kept, ``loss_mask`` is an exact zero connected to the graph
    (every mask-head parameter receives a zero gradient). Ground truth without
    ``mask_ignored`` trains every mask, as ``FCNMaskHead`` does. Inference is
    unchanged.

    The logits layer starts at a scale that does not depend on the class
    count (``logits_init='fan_in'``, the default): mmdet initialises
    ``conv_logits`` by Kaiming ``fan_out``, whose weight std is
    ``sqrt(2 / num_classes)``, 0.16 for COCO's 80 classes but 1.41 for one
    class, so a one-class head starts with logits ~9x larger and
    ``loss_mask`` ~6 instead of ~0.7. ``'fan_in'`` draws the weights with std
    ``1 / sqrt(in_channels)`` (the logits keep the scale of their input);
    ``'fan_out'`` keeps mmdet's rule.

    Works under any RoI head that calls ``loss_and_target`` with the
    predictions of all positives (mmdet's ``StandardRoIHead``,
    ``CascadeRoIHead``), and under
    :class:`~mmboxcaseg.models.roi_heads.IgnoreAwareRoIHead`, which forwards
    the kept positives only.
    """

    def __init__(self, *args, logits_init: str = 'fan_in', **kwargs) -> None:
        if logits_init not in ('fan_in', 'fan_out'):
            raise ValueError(f"logits_init must be 'fan_in' or 'fan_out', "
                             f'not {logits_init!r}')
        super().__init__(*args, **kwargs)
        self.logits_init = logits_init

    def init_weights(self) -> None:
        """mmdet's initialisation, then ``conv_logits`` by ``logits_init``."""
        super().init_weights()
        if self.logits_init == 'fan_in' and self.conv_logits is not None:
            nn.init.kaiming_normal_(
                self.conv_logits.weight, mode='fan_in', nonlinearity='linear')
            nn.init.constant_(self.conv_logits.bias, 0)

    def loss_and_target(self, mask_preds: Tensor,
                        sampling_results: List[SamplingResult],
                        batch_gt_instances: InstanceList,
                        rcnn_train_cfg: ConfigDict) -> dict:
        """Mask loss over the positives whose mask is not ignored.

        Args:
            mask_preds (Tensor): ``[num_pos, num_classes, h, w]`` logits for
                the positives of all images, image by image.
            sampling_results (list[SamplingResult]): per image.
            batch_gt_instances (list[InstanceData]): per image, with
                ``masks`` and optionally ``mask_ignored`` (bool ``[num_gts]``).
            rcnn_train_cfg (ConfigDict): ``train_cfg`` of the R-CNN stage.

        Returns:
            dict: ``loss_mask`` (dict with the loss: the sum over the kept
            positives of their mean BCE, divided by the number of all
            positives) and ``mask_targets`` (``[num_kept, h, w]``).
        """
        keeps, kept_results = kept_positives(sampling_results,
                                             batch_gt_instances)
        keep = torch.cat(keeps) if keeps else mask_preds.new_zeros(
            0, dtype=torch.bool)
        if keep.numel() != mask_preds.size(0):
            raise ValueError(f'{mask_preds.size(0)} mask predictions for '
                             f'{keep.numel()} positive RoIs')
        if bool(keep.all()):
            return super().loss_and_target(mask_preds, sampling_results,
                                           batch_gt_instances, rcnn_train_cfg)
        # With nothing kept, FCNMaskHead returns ``mask_preds.sum()`` of the
        # empty selection: an exact 0 that still reaches every parameter.
        out = super().loss_and_target(mask_preds[keep], kept_results,
                                      batch_gt_instances, rcnn_train_cfg)
        out['loss_mask'] = scale_mask_loss(out['loss_mask'], kept_share(keeps))
        return out
