"""Packing a segmentor sample into ``inputs`` and a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from mmboxcaseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackBoxCasegInputs(BaseTransform):
    """Pack a stage-1 sample (see docs/architecture.md, "Stage 1 data").

    Returns ``dict(inputs, data_samples)``:

    * ``inputs``: Tensor ``[3, H, W]`` of the image, channels as loaded
      (BGR), dtype kept (uint8 from ``LoadImageFromFile``);
    * ``data_samples``: :class:`BaseDataElement` with
      ``gt_label`` (uint8 Tensor ``[1, H, W]``) from ``gt_seg_map`` when
      present, and metainfo ``meta_keys`` found in the results.

    Args:
        meta_keys (Sequence[str]): keys copied into the metainfo.
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('source', 'img_path', 'img_id', 'ann_id',
                                    'category_id', 'ori_shape', 'img_shape',
                                    'scale_factor', 'flip', 'flip_direction',
                                    'box', 'region', 'crop_region')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = BaseDataElement()
        gt = results.get('gt_seg_map')
        if gt is not None:
            sample.gt_label = torch.from_numpy(
                np.ascontiguousarray(gt, dtype=np.uint8)[None])
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'


# per-annotation fields of a BoxImageDataset sample carried to the metric
BOX_FIELDS = ('ann_ids', 'category_ids', 'boxes', 'input_boxes', 'skip',
              'valid', 'regions', 'crop_regions', 'neighbour_iou',
              'segmentations')


@TRANSFORMS.register_module()
class PackBoxImageInputs(BaseTransform):
    """Pack an image's box crops for :class:`BoxCaseg` (or a baseline).

    Returns ``dict(inputs, data_samples)``:

    * ``inputs``: the crops of the ``K`` valid boxes, ``[K, 3, h, w]``
      uint8 BGR as loaded: the :class:`BoxCropList` of :class:`BoxCrops`
      (cut when the model loads them), or a Tensor of given ``crops``;
      ``[K, 3, 0, 0]`` without crops;
    * ``data_samples``: :class:`BaseDataElement` with the per-annotation
      fields of :data:`BOX_FIELDS` found in the results (numpy arrays /
      lists, see :class:`BoxImageDataset` and :class:`BoxCrops`), ``img``
      (the whole image) when ``keep_image``, and metainfo ``meta_keys``.

    Args:
        keep_image (bool): keep the whole image (needed by GrabCut and by
            GrabCut refinement). Defaults to False.
        meta_keys (Sequence[str]): keys copied into the metainfo.
    """

    def __init__(self,
                 keep_image: bool = False,
                 meta_keys: Sequence[str] = ('img_id', 'img_path',
                                             'sample_idx', 'ori_shape',
                                             'problem')) -> None:
        self.keep_image = bool(keep_image)
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        crops = results.get('crops')
        if crops is None:
            n = int(np.asarray(results.get('valid', ())).sum())
            inputs = torch.zeros((n, 3, 0, 0), dtype=torch.uint8)
        elif hasattr(crops, 'load'):  # a BoxCropList
            inputs = crops
        else:
            inputs = torch.from_numpy(
                np.ascontiguousarray(crops.transpose(0, 3, 1, 2)))
        sample = BaseDataElement()
        for key in BOX_FIELDS:
            if key in results:
                sample.set_field(results[key], key)
        if self.keep_image:
            sample.set_field(results.get('img'), 'img')
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(keep_image={self.keep_image}, '
                f'meta_keys={self.meta_keys})')
