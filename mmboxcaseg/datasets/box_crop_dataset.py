"""Box-supervised instances of a COCO-format data set, one sample each.

The segmentor is trained per instance: every non-crowd annotation that
:func:`mmboxcaseg.structures.index_coco` does not skip is one sample (VOC
train_aug: ~27k, COCO train2017: ~860k). To stay small at that scale, a
sample stores only ``img_row, ann_id, bbox, category_id``; the per-image
fields (path, id, size) live once per image in numpy arrays and are attached
in :meth:`BoxCropDataset.get_data_info`. Samples are serialised by
:class:`mmengine.dataset.BaseDataset` as usual.

Before the first iteration every image is checked by its file header (no
decoding): a missing or unreadable file, or one whose size differs from the
json's ``height`` / ``width``, takes its annotations out of training, counted
by reason in the log (the reasons of :data:`SKIP_REASONS`, as in stage 2).
Decoding every image up front would cost minutes on a large set, so a file
with a valid header and broken data is found when a sample draws it: the
training pipeline's ``LoadImageOrSkip`` skips the sample, names the file and
counts it (the rule by which stage 2 counts it ``image_unreadable``).
"""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import join_path
from mmengine.logging import MMLogger

from mmboxcaseg.registry import DATASETS
from mmboxcaseg.structures.coco_index import (SKIP_REASONS, CocoFormatError,
                                              index_coco)
from mmboxcaseg.utils.problem_log import ProblemLog
from .image_files import check_images


@DATASETS.register_module()
class BoxCropDataset(BaseDataset):
    """One sample per usable non-crowd instance of a COCO json, ``'box'``.

    A sample (from :meth:`get_data_info`) is ``dict(img_path, img_id,
    height, width, ann_id, bbox, category_id, source='box')`` with ``bbox``
    ``[x1, y1, x2, y2]`` float (image coordinates, as annotated; clipped to
    the image). The category is not used for training. Metainfo
    ``classes`` / ``cat_ids`` come from the json.

    Args:
        ann_file (str): COCO-format json (relative to ``data_root``).
        data_root (str): root of the data set. Defaults to ``''``.
        data_prefix (dict): ``img``: folder that ``file_name`` is relative
            to. Defaults to ``dict(img='')``.
        check_images (bool): check every image's header up front (default).
        backend_args (dict, optional): mmengine file backend arguments.
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`.
    """
    source = 'box'

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 check_images: bool = True,
                 backend_args=None,
                 **kwargs) -> None:
        self.check_image_files = bool(check_images)
        self.backend_args = backend_args
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Index the json; one lean dict per usable instance."""
        index = index_coco(self.ann_file, verbose=False)
        anns = index.annotations
        images = index.images
        if not images:
            raise ValueError(f'{self.ann_file}: no images')
        prefix = self.data_prefix['img']
        self._img_ids = np.asarray([e.id for e in images], dtype=object)
        self._img_hw = np.asarray([(e.height, e.width) for e in images],
                                  dtype=np.int64).reshape(-1, 2)
        self._img_paths = np.asarray([
            join_path(prefix, e.file_name).encode() if e.file_name else b''
            for e in images
        ],
                                     dtype=np.bytes_)
        skip = index.skip.copy()
        with_boxes = [k for k, e in enumerate(images) if len(e.ann_index)]
        if self.check_image_files:
            problems = check_images(
                [self._img_paths[k].decode() for k in with_boxes],
                [tuple(self._img_hw[k]) for k in with_boxes],
                self.backend_args,
                skip_paths=[images[k].problem is not None
                            for k in with_boxes])
            for k, problem in zip(with_boxes, problems):
                if problem is not None:
                    pos = images[k].ann_index
                    skip[pos[skip[pos] == 0]] = SKIP_REASONS.index(
                        problem) + 1
        rows = np.full(len(anns), -1, dtype=np.int64)
        for k, e in enumerate(images):
            rows[e.ann_index] = k
        keep = np.flatnonzero((skip == 0) & ~index.crowd & (rows >= 0))
        self._log_skips(anns, skip, index.crowd, len(keep), len(images))

        for key, value in index.category_metainfo().items():
            self._metainfo.setdefault(key, value)
        boxes = index.boxes[keep].tolist()
        return [
            dict(
                img_row=int(rows[i]),
                ann_id=anns[i]['id'],
                bbox=box,
                category_id=anns[i].get('category_id'))
            for i, box in zip(keep.tolist(), boxes)
        ]

    def _log_skips(self, anns, skip, crowd, num_kept: int,
                   num_images: int) -> None:
        logger = MMLogger.get_current_instance()
        bad = np.flatnonzero((skip > 0) & ~crowd)
        say = ProblemLog(limit=20)
        for i in bad:
            say(SKIP_REASONS[skip[i] - 1],
                f'{self.ann_file}: skipped ann id {anns[i]["id"]}')
        by_reason = dict(say.counts)
        if len(bad):
            logger.warning(f'{self.ann_file}: skipped {len(bad)} '
                           f'annotations ({by_reason})')
        logger.info(f'{self.ann_file}: {num_kept} box samples from '
                    f'{num_images} images; skipped {int(crowd.sum())} crowd '
                    f'and {len(bad)} unusable annotations')
        if num_kept == 0:
            raise CocoFormatError(f'{self.ann_file}: no usable annotation '
                                  f'({dict(by_reason)})')

    def get_data_info(self, idx: int) -> dict:
        """The ``idx``-th sample with its image's path, id and size."""
        info = super().get_data_info(idx)
        row = info.pop('img_row')
        info['img_path'] = self._img_paths[row].decode()
        info['img_id'] = self._img_ids[row]
        info['height'] = int(self._img_hw[row, 0])
        info['width'] = int(self._img_hw[row, 1])
        info['source'] = self.source
        return info

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category of the ``idx``-th instance, as a one-element list."""
        return [self.get_data_info(idx)['category_id']]
