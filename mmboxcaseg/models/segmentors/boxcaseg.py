"""BoxCaseg: box-supervised class-agnostic segmentor (method-spec 1, 2, 5)."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmboxcaseg.registry import MODELS
from ..data_preprocessors import stack_gt_labels
from .region_masks import logits_to_region_masks

PRED_CHOICES = ('mixed', 'weak', 'salient', 'transferred', 'all')
SOURCES = ('box', 'salient')


@MODELS.register_module()
class BoxCaseg(BaseModel):
    """Backbone + neck + weak / salient / transferred heads.

    - ``S_w = weak_head(F)``: MIL + pairwise losses on every sample.
    - ``S_sal = salient_head(F)`` and ``S_trans = transferred_head(F,
      weak_head)``: mixed in logit space,
      ``S_mix = a * S_sal + (1 - a) * S_trans`` with ``a = salient_weight``
      (the released code's 0.7 VOC / 0.6 COCO); if only one of the two
      heads exists, ``S_mix`` is that head's logits. Pixel BCE between
      ``S_mix`` and the mask on salient samples only.

    All heads run on every sample (so their BN statistics see box crops as
    at inference). All logits are upsampled bilinearly to the label size
    (training) or the input size (inference) before anything else. Table 4's
    ablation is a matter of leaving heads out (``None``).

    Args:
        backbone (dict): e.g. ``mmpretrain.HRNet`` or ``EfficientNetLite0``.
        weak_head (dict, optional): a :class:`BoxCasegHead`. Only Table 4's
            "salient head only" row leaves it out (``None``, then without a
            transferred head, and no MIL / pairwise loss).
        neck (dict, optional): e.g. :class:`HRNetV2Concat`. The first map of
            its (or the backbone's) output feeds the heads.
        salient_head (dict, optional): a :class:`BoxCasegHead`.
        transferred_head (dict, optional): a :class:`TransferredHead`.
        salient_weight (float): ``a`` above, in [0, 1]. Defaults to 0.7.
        mil_loss, pairwise_loss, pixel_loss (dict): the three losses.
        test_cfg (dict): ``pred``: which logits ``predict``/``tensor`` give:
            ``'mixed'`` (``S_mix``, the paper's proxy masks), ``'weak'``,
            ``'salient'``, ``'transferred'`` or ``'all'`` (mean of the logits
            of every head present); ``mask_thr`` (0.5) of the post-process.
        data_preprocessor (dict): defaults to
            :class:`BoxCasegDataPreprocessor`.
    """

    def __init__(self,
                 backbone: dict,
                 weak_head: Optional[dict],
                 neck: Optional[dict] = None,
                 salient_head: Optional[dict] = None,
                 transferred_head: Optional[dict] = None,
                 salient_weight: float = 0.7,
                 mil_loss: dict = dict(type='BBTPMILLoss', loss_weight=1.0),
                 pairwise_loss: dict = dict(
                     type='BBTPPairwiseLoss', loss_weight=0.05),
                 pixel_loss: dict = dict(
                     type='mmdet.CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, object]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='BoxCasegDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not 0.0 <= salient_weight <= 1.0:
            raise ValueError(
                f'salient_weight must be in [0, 1], got {salient_weight}')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        if weak_head is None and (transferred_head is not None
                                  or salient_head is None):
            raise ValueError('BoxCaseg needs a weak_head, unless it has only '
                             'a salient_head (the transferred head maps the '
                             "weak head's weights)")
        self.weak_head = MODELS.build(weak_head) \
            if weak_head is not None else None
        self.salient_head = MODELS.build(salient_head) \
            if salient_head is not None else None
        self.transferred_head = MODELS.build(transferred_head) \
            if transferred_head is not None else None
        self.salient_weight = salient_weight
        self.mil_loss = MODELS.build(mil_loss)
        self.pairwise_loss = MODELS.build(pairwise_loss)
        self.pixel_loss = MODELS.build(pixel_loss) \
            if self.has_mixed else None
        self.train_cfg = ConfigDict(train_cfg or {})
        self.test_cfg = ConfigDict(dict(pred='mixed', mask_thr=0.5))
        self.test_cfg.update(test_cfg or {})
        self._check_pred(self.test_cfg.pred)

    # ------------------------------------------------------------ helpers
    @property
    def has_mixed(self) -> bool:
        """Whether ``S_mix`` exists (a salient or a transferred head)."""
        return self.salient_head is not None \
            or self.transferred_head is not None

    def _check_pred(self, pred: str) -> None:
        if pred not in PRED_CHOICES:
            raise ValueError(f'test_cfg.pred must be one of {PRED_CHOICES}, '
                             f'got {pred!r}')
        missing = {
            'weak': self.weak_head is None,
            'mixed': not self.has_mixed,
            'salient': self.salient_head is None,
            'transferred': self.transferred_head is None,
        }.get(pred, False)
        if missing:
            raise ValueError(
                f'test_cfg.pred={pred!r} needs a head this model does not '
                f'have (weak_head={self.weak_head is not None}, '
                f'salient_head={self.salient_head is not None}, '
                f'transferred_head={self.transferred_head is not None}); '
                f"choose another test_cfg.pred (e.g. 'all')")

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """``[N, 3, H, W]`` images -> ``[N, C, h, w]`` head input."""
        x = self.backbone(inputs)
        if self.neck is not None:
            x = self.neck(x)
        if isinstance(x, (list, tuple)):
            x = x[0]
        return x

    def mixed_logits(self, feat: Tensor) -> Tensor:
        """``S_mix`` at the feature resolution, ``[N, 1, h, w]``."""
        if not self.has_mixed:
            raise RuntimeError('this BoxCaseg has no salient or transferred '
                               'head, so no mixed logits')
        if self.transferred_head is None:
            return self.salient_head(feat)
        s_trans = self.transferred_head(feat, self.weak_head)
        if self.salient_head is None:
            return s_trans
        a = self.salient_weight
        return a * self.salient_head(feat) + (1 - a) * s_trans

    def head_logits(self, feat: Tensor, pred: str) -> Tensor:
        """Logits chosen by ``pred`` (see ``test_cfg``), ``[N, 1, h, w]``."""
        self._check_pred(pred)
        if pred == 'weak':
            return self.weak_head(feat)
        if pred == 'salient':
            return self.salient_head(feat)
        if pred == 'transferred':
            return self.transferred_head(feat, self.weak_head)
        if pred == 'mixed':
            return self.mixed_logits(feat)
        logits = []  # 'all'
        if self.weak_head is not None:
            logits.append(self.weak_head(feat))
        if self.salient_head is not None:
            logits.append(self.salient_head(feat))
        if self.transferred_head is not None:
            logits.append(self.transferred_head(feat, self.weak_head))
        return torch.stack(logits).mean(dim=0)

    def predict_logits(self,
                       inputs: Tensor,
                       pred: Optional[str] = None) -> Tensor:
        """Normalised images ``[N, 3, H, W]`` -> logits ``[N, 1, H, W]``.

        ``pred`` defaults to ``test_cfg.pred``; the logits are upsampled
        bilinearly to the input size.
        """
        logits = self.head_logits(
            self.extract_feat(inputs), pred or self.test_cfg.pred)
        return _upsample(logits, inputs.shape[-2:])

    # -------------------------------------------------------------- modes
    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        """``'loss'`` -> dict of losses, ``'predict'`` -> data samples,
        ``'tensor'`` -> logits ``[N, 1, H, W]`` (``test_cfg.pred``)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.predict_logits(inputs)
        raise RuntimeError(f'Invalid mode "{mode}": loss, predict or tensor')

    def loss(self, inputs: Tensor,
             data_samples: Sequence[BaseDataElement]) -> Dict[str, Tensor]:
        """Training losses.

        Args:
            inputs (Tensor): ``[N, 3, H, W]`` normalised images.
            data_samples (list[BaseDataElement]): with ``gt_label``
                ``[1, H', W']`` and metainfo ``source`` (``'box'`` or
                ``'salient'``).

        Returns:
            dict: ``loss_mil`` and ``loss_pairwise`` (with a weak head) and
            ``loss_pixel`` (with a salient or transferred head; 0 with a
            valid graph for a batch without salient samples).
        """
        if data_samples is None or len(data_samples) != inputs.size(0):
            raise ValueError('BoxCaseg.loss needs one data sample per image')
        labels = stack_gt_labels(data_samples).to(inputs.device).float()
        label_size = labels.shape[-2:]
        feat = self.extract_feat(inputs)
        losses = dict()
        if self.weak_head is not None:
            weak = _upsample(self.weak_head(feat), label_size)
            losses['loss_mil'] = self.mil_loss(weak, labels)
            losses['loss_pairwise'] = self.pairwise_loss(weak)
        if self.has_mixed:
            mixed = _upsample(self.mixed_logits(feat), label_size)
            salient = _salient_index(data_samples).to(inputs.device)
            if salient.numel() > 0:
                losses['loss_pixel'] = self.pixel_loss(mixed[salient],
                                                       labels[salient])
            else:
                losses['loss_pixel'] = mixed.sum() * 0
        return losses

    def predict(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> List[BaseDataElement]:
        """Predict logits and, for samples with a ``region``, masks.

        Adds ``pred_logits`` (``[1, H, W]``, input size) to every sample and
        ``pred_mask`` (bool ``[y1 - y0, x1 - x0]``) to those whose metainfo
        has ``region`` (``x0, y0, x1, y1``), by
        :func:`logits_to_region_masks` with ``test_cfg.mask_thr``.
        """
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(len(inputs))]
        logits = self.predict_logits(inputs)
        with_region = [
            i for i, s in enumerate(data_samples) if 'region' in s.metainfo
        ]
        sizes = [_region_size(data_samples[i].region, i) for i in with_region]
        masks = logits_to_region_masks(logits[with_region], sizes,
                                       self.test_cfg.mask_thr)
        for sample, logit in zip(data_samples, logits):
            sample.pred_logits = logit
        for i, mask in zip(with_region, masks):
            data_samples[i].pred_mask = mask
        return data_samples


def _upsample(logits: Tensor, size) -> Tensor:
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(
        logits, size=tuple(size), mode='bilinear', align_corners=False)


def _salient_index(data_samples: Sequence[BaseDataElement]) -> Tensor:
    """Indices of the samples whose metainfo ``source`` is ``'salient'``."""
    sources = [s.metainfo.get('source', None) for s in data_samples]
    for i, src in enumerate(sources):
        if src not in SOURCES:
            raise ValueError(f'data sample {i}: metainfo source must be one '
                             f'of {SOURCES}, got {src!r}')
    return torch.tensor([i for i, s in enumerate(sources) if s == 'salient'],
                        dtype=torch.long)


def _region_size(region, index: int) -> List[int]:
    x0, y0, x1, y1 = (int(v) for v in region)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f'data sample {index}: empty region {region}')
    return [y1 - y0, x1 - x0]
