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
      present, ``gt_mask_crop`` / ``gt_area`` when present, and metainfo
      ``meta_keys`` found in the results.

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
        if 'gt_mask_crop' in results:
            sample.gt_mask_crop = results['gt_mask_crop']
            sample.gt_area = int(results['gt_area'])
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
