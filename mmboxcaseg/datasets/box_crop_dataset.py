"""Box-supervised instances of a COCO-format data set, one sample each.

The segmentor is trained and evaluated per instance: every non-crowd
annotation with a valid box is one sample (VOC train_aug: ~27k, COCO train2017:
~860k). To stay small at that scale, a sample stores only
``img_row, ann_id, bbox, category_id`` (plus the GT ``segmentation`` when masks
are wanted); the per-image fields (path, id, size) live once per image in
numpy arrays and are attached in :meth:`BoxCropDataset.get_data_info`.
Samples are serialised by :class:`mmengine.dataset.BaseDataset` as usual.

Skipped, counted and logged (with ann ids): crowd annotations, boxes that are
not finite, have ``w <= 0`` or ``h <= 0``, lie fully outside their image, or
refer to an unknown image, and (only when masks are wanted) annotations
without ``segmentation``.
"""
from typing import List, Optional

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.fileio import get_local_path, join_path
from mmengine.logging import MMLogger

from mmboxcaseg.registry import DATASETS

_SHOW = 20  # skipped annotations named one by one in the log


def _boxes_xywh(anns: List[dict]) -> np.ndarray:
    """``(N, 4)`` float64 ``xywh`` of annotations; NaN where malformed."""
    raw = [a.get('bbox') for a in anns]
    try:
        boxes = np.asarray(raw, dtype=np.float64)
        if boxes.ndim == 2 and boxes.shape[1] == 4:
            return boxes
    except (TypeError, ValueError):
        pass

    def well_formed(b):
        return isinstance(b, (list, tuple)) and len(b) == 4 and all(
            isinstance(v, (int, float)) for v in b)

    rows = [b if well_formed(b) else [np.nan] * 4 for b in raw]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


@DATASETS.register_module()
class BoxCropDataset(BaseDataset):
    """One sample per non-crowd instance of a COCO json, ``source='box'``.

    A sample (from :meth:`get_data_info`) is ``dict(img_path, img_id,
    height, width, ann_id, bbox, category_id, source='box')`` with ``bbox``
    ``[x1, y1, x2, y2]`` float (image coordinates, as annotated), plus
    ``segmentation`` (COCO polygons or RLE, undecoded) when ``with_mask``.
    The category is not used for training; it is kept for the class-mean
    metric (``mIoU*``). Metainfo ``classes`` / ``cat_ids`` come from the json.

    Args:
        ann_file (str): COCO-format json (relative to ``data_root``).
        data_root (str): root of the data set. Defaults to ``''``.
        data_prefix (dict): ``img``: folder that ``file_name`` is relative
            to. Defaults to ``dict(img='')``.
        with_mask (bool, optional): keep each instance's GT segmentation, for
            evaluation. Defaults to ``test_mode``: training never decodes
            masks.
        backend_args (dict, optional): mmengine file backend arguments.
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`.
    """
    source = 'box'

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 with_mask: Optional[bool] = None,
                 backend_args: Optional[dict] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.with_mask = test_mode if with_mask is None else bool(with_mask)
        self.backend_args = backend_args
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            test_mode=test_mode,
            **kwargs)

    def _load_coco(self):
        from mmdet.datasets.api_wrappers import COCO
        try:
            with get_local_path(
                    self.ann_file, backend_args=self.backend_args) as path:
                return COCO(path)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(
                f'{self.ann_file} is not a COCO-format json: {e!r}') from e

    def load_data_list(self) -> List[dict]:
        """Read the json: one lean dict per valid instance.

        Returns:
            list[dict]: ``img_row, ann_id, bbox, category_id`` (and
            ``segmentation`` when ``with_mask``).
        """
        coco = self._load_coco()
        images = coco.dataset.get('images', [])
        anns = coco.dataset.get('annotations', [])
        cats = sorted(
            coco.dataset.get('categories', []), key=lambda c: c['id'])
        del coco

        if not images:
            raise ValueError(f'{self.ann_file}: no images')
        # per-image table: one numpy row per image
        try:
            img_ids = np.asarray([im['id'] for im in images], dtype=np.int64)
            self._img_hw = np.asarray([(im['height'], im['width'])
                                       for im in images],
                                      dtype=np.int64).reshape(-1, 2)
            prefix = self.data_prefix['img']
            paths = [
                join_path(prefix, im['file_name']).encode() for im in images
            ]
            self._img_paths = np.asarray(paths, dtype=np.bytes_)
        except KeyError as e:
            bad = next(im for im in images if e.args[0] not in im)
            raise ValueError(f'{self.ann_file}: image {bad.get("id", bad)} '
                             f'has no {e.args[0]!r}') from None
        order = np.argsort(img_ids, kind='stable')
        self._img_ids = img_ids

        ann_ids = np.asarray([a.get('id', -1) for a in anns], dtype=np.int64)
        ann_img = np.asarray([a.get('image_id', -1) for a in anns],
                             dtype=np.int64)
        crowd = np.asarray([bool(a.get('iscrowd', 0)) for a in anns],
                           dtype=bool)
        xywh = _boxes_xywh(anns)

        # image row of every annotation (-1: unknown image)
        pos = np.minimum(
            np.searchsorted(img_ids[order], ann_img),
            len(order) - 1)
        known = img_ids[order][pos] == ann_img
        rows = np.where(known, order[pos], -1)

        h = np.where(known, self._img_hw[rows, 0], 0).astype(np.float64)
        w = np.where(known, self._img_hw[rows, 1], 0).astype(np.float64)
        x1, y1 = xywh[:, 0], xywh[:, 1]
        x2, y2 = x1 + xywh[:, 2], y1 + xywh[:, 3]
        finite = np.isfinite(xywh).all(axis=1)
        reasons = np.full(len(anns), '', dtype=object)
        with np.errstate(invalid='ignore'):
            empty = finite & ((xywh[:, 2] <= 0) | (xywh[:, 3] <= 0))
            outside = finite & ~empty & known & ((x1 >= w) | (y1 >= h) |
                                                 (x2 <= 0) | (y2 <= 0))
        reasons[~known] = 'unknown image_id'
        reasons[known & ~finite] = 'not finite'
        reasons[known & empty] = 'w or h <= 0'
        reasons[outside] = 'outside its image'
        if self.with_mask:
            no_seg = np.asarray([not a.get('segmentation') for a in anns],
                                dtype=bool)
            reasons[(reasons == '') & ~crowd & no_seg] = 'no segmentation'
        invalid = (reasons != '') & ~crowd
        keep = np.flatnonzero(~invalid & ~crowd)
        self._log_skips(ann_ids, reasons, invalid, int(crowd.sum()), len(keep),
                        len(images))

        cat_ids = [int(c['id']) for c in cats]
        self._metainfo.setdefault('classes',
                                  tuple(str(c['name']) for c in cats))
        self._metainfo.setdefault('cat_ids', cat_ids)

        boxes = np.stack([x1, y1, x2, y2], axis=1)[keep].tolist()
        rows_k = rows[keep].tolist()
        ids_k = ann_ids[keep].tolist()
        data_list = []
        for j, i in enumerate(keep.tolist()):
            sample = dict(
                img_row=rows_k[j],
                ann_id=ids_k[j],
                bbox=boxes[j],
                category_id=int(anns[i].get('category_id', -1)))
            if self.with_mask:
                sample['segmentation'] = anns[i]['segmentation']
            data_list.append(sample)
        return data_list

    def _log_skips(self, ann_ids: np.ndarray, reasons: np.ndarray,
                   invalid: np.ndarray, num_crowd: int, num_kept: int,
                   num_images: int) -> None:
        logger = MMLogger.get_current_instance()
        bad = np.flatnonzero(invalid)
        if len(bad):
            named = ', '.join(f'ann id {ann_ids[i]} ({reasons[i]})'
                              for i in bad[:_SHOW])
            more = f' and {len(bad) - _SHOW} more' if len(bad) > _SHOW else ''
            logger.warning(f'{self.ann_file}: skipped {len(bad)} invalid '
                           f'annotations: {named}{more}')
        logger.info(f'{self.ann_file}: {num_kept} box samples from '
                    f'{num_images} images; skipped {num_crowd} crowd and '
                    f'{len(bad)} invalid annotations')
        if num_kept == 0:
            raise ValueError(f'{self.ann_file}: no valid instance to use')

    def get_data_info(self, idx: int) -> dict:
        """The ``idx``-th sample with its image's path, id and size."""
        info = super().get_data_info(idx)
        row = info.pop('img_row')
        info['img_path'] = self._img_paths[row].decode()
        info['img_id'] = int(self._img_ids[row])
        info['height'] = int(self._img_hw[row, 0])
        info['width'] = int(self._img_hw[row, 1])
        info['source'] = self.source
        return info

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category of the ``idx``-th instance, as a one-element list."""
        return [self.get_data_info(idx)['category_id']]
