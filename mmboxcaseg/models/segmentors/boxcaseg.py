"""BoxCaseg: box-supervised class-agnostic segmentor.

Wang et al., "Weakly-supervised Instance Segmentation via Class-agnostic
Learning with Salient Images", CVPR 2021 (arXiv 2104.01526), Sec. 3.2-3.3:
a backbone (HRNetV2) and three heads trained jointly on box-annotated crops
(MIL + pairwise losses, Eq. 1-2) and salient images (pixel loss on the mixed
salient / transferred prediction, Eq. 3). Departures, all options: the
colour-aware pairwise loss of BoxInst (``color_pairwise_loss``), flip
test-time augmentation and GrabCut refinement (``test_cfg``); the mix weight
is named by what it weights (``salient_weight``, as in the authors' code).
"""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmboxcaseg.registry import MODELS
from mmboxcaseg.structures import SOURCES
from ..data_preprocessors import stack_gt_labels
from ..losses import resize_logits_to
from .region_masks import mask_iou_targets

PRED_CHOICES = ('mixed', 'weak', 'salient', 'transferred', 'all')
# what test_cfg may set (see BoxCaseg's docstring); a typo is refused, not
# ignored
TEST_CFG_KEYS = ('pred', 'mask_thr', 'flip', 'max_crops', 'autocast',
                 'refine')


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
        backbone (dict): e.g. ``mmpretrain.HRNet`` or
            ``mmpretrain.TIMMBackbone``.
        weak_head (dict, optional): a :class:`BoxCasegHead`. Only Table 4's
            "salient head only" row leaves it out (``None``, then without a
            transferred head, and no MIL / pairwise loss).
        neck (dict, optional): e.g. :class:`UpsampleConcat`. The first map of
            its (or the backbone's) output feeds the heads.
        salient_head (dict, optional): a :class:`BoxCasegHead`.
        transferred_head (dict, optional): a :class:`TransferredHead`.
        salient_weight (float): ``a`` above, in [0, 1]. Defaults to 0.7.
        mil_loss, pairwise_loss, pixel_loss (dict): the three losses.
        color_pairwise_loss (dict, optional): not in the paper: BoxInst's
            colour-aware pairwise term (:class:`ColorPairwiseLoss`) on the
            logits named by ``color_pairwise_on`` at the heads' resolution,
            over the edges that touch each crop's box (a salient mask's
            tight box). Defaults to None (the paper).
        color_pairwise_on (Sequence[str]): ``'weak'`` and/or ``'mixed'``.
        test_cfg (dict): ``pred``: which logits ``predict``/``tensor`` give:
            ``'mixed'`` (``S_mix``, the paper's proxy masks), ``'weak'``,
            ``'salient'``, ``'transferred'`` or ``'all'`` (mean of the logits
            of every head present); ``flip`` (False): also predict the
            horizontally flipped crops and average the logits (not in the
            paper); ``max_crops`` (64): crops per forward pass;
            ``autocast`` (None, ``'bf16'`` or ``'fp16'``): predict under
            ``torch.autocast`` on the crops' device (GPU inference; on a
            CPU ``'bf16'`` runs too, faster only where the CPU has bf16
            units, e.g. AVX512-BF16 / AMX);
            ``mask_thr`` (0.5) and ``refine`` (None, or e.g.
            ``dict(type='GrabCutRefine')``, not in the paper): how the
            probabilities become masks (:func:`region_masks`).
        quality_head (dict, optional): not in the paper: a
            :class:`MaskQualityHead` that predicts each crop's mask IoU
            (the masks' ``score`` times the box's crowding and the mask's
            fill of its box), learnt on salient samples from the weak
            head's masks (``loss_quality``). Defaults to None (scores are
            the mean certainty, :func:`mask_scores`, times the
            refinement's agreement, the crowding and the fill,
            :func:`sample_region_masks`).
        frozen_segmentor (bool): train the quality head alone: every other
            module stays in eval mode with frozen weights and only
            ``loss_quality`` is computed (a quality head for a trained
            segmentor, loaded by ``load_from``). Defaults to False.
        channels_last (bool): feed the backbone its images in the
            ``torch.channels_last`` (NHWC) memory layout, so every
            convolution runs in it: the same function, a layout oneDNN's CPU
            convolutions run faster (docs/model_zoo.md, "Training speed");
            on GPUs, tensor-core convolutions under autocast usually prefer
            it too (not measured here). Defaults to
            False (the layout the paper's code uses).
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
                 pixel_loss: dict = dict(type='PixelBCELoss', loss_weight=1.0),
                 color_pairwise_loss: Optional[dict] = None,
                 color_pairwise_on: Sequence[str] = ('weak', ),
                 quality_head: Optional[dict] = None,
                 frozen_segmentor: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 channels_last: bool = False,
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
        self.channels_last = bool(channels_last)
        self.mil_loss = MODELS.build(mil_loss)
        self.pairwise_loss = MODELS.build(pairwise_loss)
        self.pixel_loss = MODELS.build(pixel_loss) \
            if self.has_mixed else None
        self.color_pairwise_loss = MODELS.build(color_pairwise_loss) \
            if color_pairwise_loss is not None else None
        self.color_pairwise_on = tuple(color_pairwise_on)
        self.quality_head = MODELS.build(quality_head) \
            if quality_head is not None else None
        if self.quality_head is not None and self.weak_head is None:
            raise ValueError('quality_head learns the weak head\'s masks: '
                             'it needs a weak_head')
        self.frozen_segmentor = bool(frozen_segmentor)
        if self.frozen_segmentor:
            if self.quality_head is None:
                raise ValueError('frozen_segmentor=True trains the quality '
                                 'head alone: give a quality_head')
            for name, module in self.named_children():
                if name not in ('quality_head', 'data_preprocessor'):
                    module.requires_grad_(False)
        for name in (self.color_pairwise_on
                     if self.color_pairwise_loss is not None else ()):
            if name not in ('weak', 'mixed'):
                raise ValueError("color_pairwise_on holds 'weak' and/or "
                                 f"'mixed', got {name!r}")
            if name == 'mixed' and not self.has_mixed \
                    or name == 'weak' and self.weak_head is None:
                raise ValueError(f'color_pairwise_on={name!r} needs a head '
                                 'this model does not have')
        self.train_cfg = ConfigDict(train_cfg or {})
        self.test_cfg = ConfigDict(
            dict(pred='mixed', mask_thr=0.5, flip=False, max_crops=64,
                 refine=None))
        unknown = sorted(set(test_cfg or {}) - set(TEST_CFG_KEYS))
        if unknown:
            raise ValueError(f'test_cfg has unknown key(s) {unknown}; the '
                             f'known keys are {list(TEST_CFG_KEYS)}')
        self.test_cfg.update(test_cfg or {})
        self._check_pred(self.test_cfg.pred)

    def init_weights(self) -> None:
        """Initialise as configured; a backbone whose ``Pretrained``
        checkpoint is not set keeps its class's default initialisation and
        the log says, loudly, that it trains from random weights."""
        cfg = getattr(self.backbone, 'init_cfg', None)
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained' \
                and not cfg.get('checkpoint'):
            import inspect
            from mmengine.logging import print_log
            default = inspect.signature(type(
                self.backbone).__init__).parameters.get('init_cfg')
            self.backbone.init_cfg = None if default is None else \
                copy.deepcopy(default.default)
            print_log(
                '!' * 72 + '\nBoxCaseg: model.backbone.init_cfg.checkpoint is '
                'not set: the backbone starts from RANDOM weights, not '
                'ImageNet as in the paper.\nGive a local ImageNet checkpoint '
                'with --cfg-options model.backbone.init_cfg.checkpoint=PATH '
                '(see docs/get_started.md).\n' + '!' * 72,
                logger='current',
                level=logging.WARNING)
        super().init_weights()

    def train(self, mode: bool = True) -> 'BoxCaseg':
        """As ``nn.Module.train``; a frozen segmentor stays in eval mode
        (its BN statistics too), only the quality head trains."""
        super().train(mode)
        if mode and self.frozen_segmentor:
            for name, module in self.named_children():
                if name != 'quality_head':
                    module.eval()
        return self

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
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
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
        return resize_logits_to(logits, inputs.shape[-2:])

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
        if self.frozen_segmentor:
            with torch.no_grad():
                feat = self.extract_feat(inputs)
                weak = self.weak_head(feat)
            return dict(loss_quality=self._quality_loss(
                feat, weak, labels, data_samples))
        feat = self.extract_feat(inputs)
        losses = dict()
        native = dict()  # logits at the heads' resolution
        if self.weak_head is not None:
            native['weak'] = self.weak_head(feat)
            weak = resize_logits_to(native['weak'], label_size)
            losses['loss_mil'] = self.mil_loss(weak, labels)
            losses['loss_pairwise'] = self.pairwise_loss(weak)
        if self.has_mixed:
            native['mixed'] = self.mixed_logits(feat)
            mixed = resize_logits_to(native['mixed'], label_size)
            salient = _salient_index(data_samples).to(inputs.device)
            if salient.numel() > 0:
                losses['loss_pixel'] = self.pixel_loss(mixed[salient],
                                                       labels[salient])
            else:
                losses['loss_pixel'] = mixed.sum() * 0
        if self.color_pairwise_loss is not None:
            rgb = self._rgb_images(inputs)
            boxes = label_box_masks(labels)
            for name in self.color_pairwise_on:
                key = 'loss_color_pairwise' + ('' if name == 'weak' else
                                               '_' + name)
                losses[key] = self.color_pairwise_loss(
                    native[name], rgb, boxes)
        if self.quality_head is not None:
            losses['loss_quality'] = self._quality_loss(
                feat, native['weak'], labels, data_samples)
        return losses

    def _quality_loss(self, feat: Tensor, weak: Tensor, labels: Tensor,
                      data_samples) -> Tensor:
        """The quality head's loss on the salient samples: its prediction
        from ``feat`` / ``weak`` (the weak head's logits at the heads'
        resolution) against the IoU of the weak head's mask with the
        sample's mask (:func:`mask_iou_targets`, at the label's size)."""
        salient = _salient_index(data_samples).to(feat.device)
        if salient.numel() == 0:
            return sum(p.sum() * 0 for p in self.quality_head.parameters())
        feat, weak, labels = feat[salient], weak[salient], labels[salient]
        targets = mask_iou_targets(
            resize_logits_to(weak, labels.shape[-2:]), labels,
            float(self.test_cfg.mask_thr))
        return self.quality_head.loss(feat, weak, targets)

    def _rgb_images(self, inputs: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation: RGB in [0, 255]."""
        pre = self.data_preprocessor
        x = inputs
        if getattr(pre, '_enable_normalize', False):
            x = x * pre.std + pre.mean
        if not getattr(pre, '_channel_conversion', False):
            x = x.flip(1)  # loaded BGR, not converted
        return x

    def predict(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> List[BaseDataElement]:
        """Crop probabilities of every box of every image.

        Args:
            inputs (Tensor): ``[sum K_i, 3, h, w]`` normalised crops, the
                ``K_i`` crops of image ``i`` after those of image ``i - 1``
                (``PackBoxImageInputs`` + the data preprocessor).
            data_samples (list[BaseDataElement]): one per image, with
                ``regions`` (``(K_i, 4)``). Without samples, ``inputs`` are
                the crops of one image.

        Returns:
            list[BaseDataElement]: the samples with ``pred_probs``, float32
            numpy ``(K_i, h, w)``: the sigmoid of the logits chosen by
            ``test_cfg.pred`` at the crop size, with a quality head
            ``pred_quality`` (``(K_i,)``, each mask's predicted IoU, the
            masks' score), and metainfo ``mask_thr``
            and ``refine`` (``test_cfg``), which tell every consumer how to
            turn them into masks (:func:`region_masks`).

        Each image's crops are forwarded on their own (in chunks of
        ``test_cfg.max_crops``), so a box's prediction does not depend on
        which other images share the batch; ``test_cfg.flip`` averages the
        logits of the crops and of their horizontal flips. ``inputs`` may be
        a ``CropBatch`` (crops cut a chunk at a time, see
        :class:`BoxCasegDataPreprocessor`).
        """
        if data_samples is None:
            data_samples = [
                BaseDataElement(regions=np.zeros((len(inputs), 4)))
            ]
        start = 0
        for sample in data_samples:
            k = len(sample.regions)
            sample.pred_probs, quality = self.predict_crops(
                inputs[start:start + k])
            if quality is not None:
                sample.pred_quality = quality
            start += k
            sample.set_metainfo(
                dict(
                    mask_thr=float(self.test_cfg.mask_thr),
                    refine=self.test_cfg.get('refine', None)))
        if start != len(inputs):
            raise ValueError(f'{len(inputs)} crops for {start} regions of '
                             f'{len(data_samples)} images')
        return data_samples

    def predict_probs(self, crops: Tensor) -> np.ndarray:
        """``[K, 3, h, w]`` normalised crops -> ``(K, h, w)`` float32
        probabilities (:meth:`predict_crops`)."""
        return self.predict_crops(crops)[0]

    @torch.no_grad()
    def predict_crops(self, crops: Tensor) -> tuple:
        """``[K, 3, h, w]`` normalised crops -> ``(K, h, w)`` float32
        probabilities and, with a quality head, ``(K,)`` float32 predicted
        IoU of their masks (else None).

        ``test_cfg``: ``pred``, ``flip``, ``max_crops``, ``autocast``.
        ``crops`` not yet cut (a ``CropBatch``) are loaded ``max_crops`` at
        a time. With ``flip`` the logits, and the predicted IoU, are the
        means over the crops and their horizontal flips.
        """
        h, w = crops.shape[-2:]
        out = np.zeros((len(crops), h, w), dtype=np.float32)
        quality = None if self.quality_head is None else np.zeros(
            len(crops), dtype=np.float32)
        step = int(self.test_cfg.get('max_crops', 64))
        dtypes = {None: None, 'bf16': torch.bfloat16, 'fp16': torch.float16}
        autocast = self.test_cfg.get('autocast', None)
        if autocast not in dtypes:
            raise ValueError('test_cfg.autocast must be one of '
                             f'{list(dtypes)}, got {autocast!r}')
        dtype = dtypes[autocast]
        pred = self.test_cfg.pred
        views = [False, True] if self.test_cfg.get('flip', False) else [False]
        for lo in range(0, len(crops), step):
            x = crops[lo:lo + step]
            if not isinstance(x, Tensor):
                x = x.load()  # cut and normalised now (CropBatch)
            logits, q = 0, 0
            with torch.autocast(
                    x.device.type, dtype=dtype, enabled=dtype is not None):
                for mirror in views:
                    feat = self.extract_feat(x.flip(-1) if mirror else x)
                    native = self.head_logits(feat, pred)
                    view = resize_logits_to(native, x.shape[-2:])
                    logits = logits + (view.flip(-1) if mirror else view)
                    if quality is not None:
                        q = q + self.quality_head.predict(feat, native)
            logits = logits / len(views)
            out[lo:lo + len(x)] = logits[:, 0].float().sigmoid().cpu().numpy()
            if quality is not None:
                quality[lo:lo + len(x)] = (q / len(views)).float().cpu(
                ).numpy()
        return out, quality


def label_box_masks(labels: Tensor) -> Tensor:
    """The tight box of each label map, filled: ``[N, 1, H, W]`` float.

    A box label ``B`` is its own box; a salient mask gives its bounding box
    (rows and columns between its first and last foreground pixel).
    """
    fg = labels > 0
    rows = fg.any(dim=3)  # [N, 1, H]
    cols = fg.any(dim=2)  # [N, 1, W]

    def span(v):
        return v.cummax(-1).values & v.flip(-1).cummax(-1).values.flip(-1)

    return (span(rows)[..., :, None] & span(cols)[..., None, :]).float()


def _salient_index(data_samples: Sequence[BaseDataElement]) -> Tensor:
    """Indices of the samples whose metainfo ``source`` is ``'salient'``."""
    sources = [s.metainfo.get('source', None) for s in data_samples]
    for i, src in enumerate(sources):
        if src not in SOURCES:
            raise ValueError(f'data sample {i}: metainfo source must be one '
                             f'of {SOURCES}, got {src!r}')
    return torch.tensor([i for i, s in enumerate(sources) if s == 'salient'],
                        dtype=torch.long)
