"""The images of a COCO json with all their boxes: one sample per image.

This is the input of every box -> mask prediction: the segmentor's
evaluation (``tools/test.py``, validation during training), proxy-mask
generation (stage 2) and :class:`~mmboxcaseg.apis.BoxCasegInferencer` on a
json. One data set type, one pipeline, one model path: the mask a box gets
is the same in all of them.

The json is read by :func:`mmboxcaseg.structures.index_coco` (the skip rules
shared with training). Images without non-crowd annotations are left out
(nothing to predict); a skipped annotation stays in its image's sample with
its reason, so that a proxy file still lists it.
"""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path
from mmengine.logging import print_log

from mmboxcaseg.registry import DATASETS
from mmboxcaseg.structures.coco_index import MAX_PIXELS, index_coco


@DATASETS.register_module()
class BoxImageDataset(BaseDataset):
    """One sample per image of a COCO json that has non-crowd annotations.

    A sample (``get_data_info``) is a dict with ``img_path``, ``img_id``,
    ``height``, ``width``, ``problem`` (an image-level skip reason of
    :data:`~mmboxcaseg.structures.SKIP_REASONS` or None), and over the
    image's non-crowd annotations in input order: ``ann_ids`` (list),
    ``category_ids`` (int64 ``(n,)``), ``boxes`` (float64 ``(n, 4)`` xyxy,
    clipped to the image; NaN where skipped), ``skip`` (uint8 ``(n,)``
    codes, 0 = use) and, with ``with_mask``, ``segmentations`` (the GT
    ``segmentation`` objects as in the json, None where absent).

    Args:
        ann_file (str): COCO instance json (relative to ``data_root``).
        data_root (str): root of the data set.
        data_prefix (dict): ``img``: folder ``file_name`` is relative to.
        with_mask (bool): keep the GT segmentations (to score predictions).
            Defaults to True.
        max_pixels (int): images declared larger are skipped before reading.
        allow_outside_root (bool): accept ``file_name`` that is absolute or
            climbs out of the image folder (skipped by default).
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 with_mask: bool = True,
                 max_pixels: int = MAX_PIXELS,
                 allow_outside_root: bool = False,
                 test_mode: bool = True,
                 **kwargs) -> None:
        self.with_mask = bool(with_mask)
        self.max_pixels = int(max_pixels)
        self.allow_outside_root = bool(allow_outside_root)
        self.num_annotations = 0
        self.num_usable = 0
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            test_mode=test_mode,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Index the json; one dict per image with non-crowd annotations."""
        index = index_coco(
            self.ann_file,
            max_pixels=self.max_pixels,
            allow_outside_root=self.allow_outside_root)
        self.index_counts = dict(index.counts)
        anns = index.annotations
        for key, value in index.category_metainfo().items():
            self._metainfo.setdefault(key, value)
        prefix = self.data_prefix.get('img', '')
        data_list = []
        for e in index.images:
            pos = e.ann_index
            if len(pos) == 0:
                continue
            sample = dict(
                img_path=join_path(prefix, e.file_name)
                if e.file_name else None,
                img_id=e.id,
                height=e.height,
                width=e.width,
                problem=e.problem,
                ann_ids=[anns[p]['id'] for p in pos],
                category_ids=[anns[p].get('category_id') for p in pos],
                boxes=index.boxes[pos],
                skip=index.skip[pos])
            if self.with_mask:
                sample['segmentations'] = [
                    anns[p].get('segmentation') for p in pos
                ]
            data_list.append(sample)
        self.num_annotations = int(sum(len(d['ann_ids']) for d in data_list))
        usable = int(sum(int((d['skip'] == 0).sum()) for d in data_list))
        self.num_usable = usable
        print_log(
            f'{self.ann_file}: {len(data_list)} images with {usable} usable '
            f'of {self.num_annotations} non-crowd annotations',
            logger='current')
        return data_list

    def _serialize_data(self):
        if not self.data_list:  # MMEngine cannot serialise an empty list
            return np.zeros(0, np.uint8), np.zeros(0, np.int64)
        return super()._serialize_data()

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        info['sample_idx'] = idx
        return info
