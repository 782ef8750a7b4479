"""COCO-format ground-truth boxes with BoxCaseg proxy masks (stage 3)."""
import json
from collections import Counter
from typing import List, Optional, Union

import numpy as np
from mmdet.datasets import CocoDataset
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

from mmboxcaseg.registry import DATASETS
from mmboxcaseg.structures.box_agreement import is_dropped
from mmboxcaseg.structures.coco_index import (SKIP_REASONS, box_skip_codes,
                                              parse_boxes)
from .synthetic import SYNTHETIC_CLASSES, SYNTHETIC_PALETTE


@DATASETS.register_module()
class ProxyCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset`` for a proxy-annotation file.

    Each annotation holds a real box, a proxy mask in ``segmentation`` (RLE),
    ``proxy_agreement`` (float, the IoU of the mask's tight box with the box)
    and ``mask_ignored`` (bool, missing = False): a dropped mask, to be ignored
    in the mask loss only (BoxCaseg, arXiv 2104.01526, Sec. 3.4). Every
    parsed instance gets
    ``instances[i]['mask_ignored']`` (bool) and, when present,
    ``instances[i]['proxy_agreement']`` (float); the rest is ``CocoDataset``'s.

    Unlike ``CocoDataset``, a config class name that the file does not have is
    an error (mmdet would train without that class, silently), and an
    annotation whose box stage 2 could not use (kept in its output with an
    empty, ignored mask: a ``bbox`` of strings, null or missing, empty or
    outside the image; the box rules of
    :func:`~mmboxcaseg.structures.coco_index.box_skip_codes`) is skipped and
    counted by reason in ``skipped_annotations`` (mmdet's parser fails on
    such boxes).

    Args:
        agreement_thr (float, optional): re-decide the drop at load time:
            ``mask_ignored = proxy_agreement < agreement_thr`` (the one rule,
            :func:`mmboxcaseg.structures.is_dropped`), so a sweep
            over thresholds needs no new proxy file. Every annotation must then
            carry ``proxy_agreement``. None (default) uses the file's
            ``mask_ignored``.
        *args, **kwargs: as ``CocoDataset``.
    """

    def __init__(self,
                 *args,
                 agreement_thr: Optional[float] = None,
                 **kwargs) -> None:
        self.agreement_thr = None if agreement_thr is None else \
            float(agreement_thr)
        self.skipped_annotations: dict = {}
        self._skipped = Counter()
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        self._skipped = Counter()
        data_list = super().load_data_list()
        self.skipped_annotations = dict(self._skipped)
        self._check_classes()
        instances = [inst for info in data_list for inst in info['instances']]
        num_ignored = sum(inst['mask_ignored'] for inst in instances)
        rule = 'file flags' if self.agreement_thr is None else \
            f'proxy_agreement < {self.agreement_thr}'
        skipped = ', '.join(f'{n} {r}' for r, n in self._skipped.items())
        print_log(
            f'{self.ann_file}: {len(data_list)} images, {len(instances)} '
            f'instances, {num_ignored} proxy masks ignored in the mask loss '
            f'({100.0 * num_ignored / max(len(instances), 1):.1f}%, {rule})' +
            (f'; skipped for their box: {skipped}' if skipped else ''),
            logger='current')
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> Union[dict, List[dict]]:
        raw_data_info = self._usable_boxes(raw_data_info)
        data_info = super().parse_data_info(raw_data_info)
        img_info = raw_data_info['raw_img_info']
        # CocoDataset skips some annotations (``ignore``, empty boxes, unknown
        # classes) and copies ``segmentation`` by reference into
        # ``instance['mask']``: map each instance back to its annotation by
        # the identity of that object.
        by_mask = {
            id(ann['segmentation']): ann
            for ann in raw_data_info['raw_ann_info']
            if ann.get('segmentation', None)
        }
        for instance in data_info['instances']:
            if instance['ignore_flag']:
                # a crowd box is not trained at all; it passes through the
                # proxy converter unchanged and may have no mask (mmdet's
                # LoadAnnotations accepts an empty polygon list for it)
                instance.setdefault('mask', [])
                instance['mask_ignored'] = False
                continue
            if 'mask' not in instance:
                raise ValueError(
                    f'{self.ann_file}: image {img_info["img_id"]} '
                    f'({img_info["file_name"]}) has an annotation with box '
                    f'{instance["bbox"]} but no proxy mask (`segmentation`)')
            ann = by_mask[id(instance['mask'])]
            instance['mask_ignored'] = self._mask_ignored(ann, img_info)
            if ann.get('proxy_agreement', None) is not None:
                instance['proxy_agreement'] = float(ann['proxy_agreement'])
        return data_info

    def _usable_boxes(self, raw_data_info: dict) -> dict:
        """``raw_data_info`` without the annotations whose box is unusable
        (counted by reason)."""
        anns = raw_data_info['raw_ann_info']
        img = raw_data_info['raw_img_info']
        xywh = parse_boxes(anns)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]],
                              axis=1)
        codes = box_skip_codes(xyxy, img.get('height', 0),
                               img.get('width', 0))[0]
        if not codes.any():
            return raw_data_info
        for ann, code in zip(anns, codes):
            if code:
                self._skipped['missing_key' if 'bbox' not in ann else
                              SKIP_REASONS[code - 1]] += 1
        return dict(
            raw_data_info,
            raw_ann_info=[a for a, c in zip(anns, codes) if not c])

    def _mask_ignored(self, ann: dict, img_info: dict) -> bool:
        where = (f'{self.ann_file}: annotation {ann.get("id")} of image '
                 f'{img_info["img_id"]} ({img_info["file_name"]})')
        if self.agreement_thr is not None:
            agreement = ann.get('proxy_agreement', None)
            if not isinstance(agreement, (int, float)) or \
                    isinstance(agreement, bool):
                raise ValueError(
                    f'{where} has proxy_agreement={agreement!r}, but '
                    f'agreement_thr={self.agreement_thr} needs a number')
            return bool(is_dropped(agreement, self.agreement_thr))
        flag = ann.get('mask_ignored', False)
        if flag not in (True, False) or not isinstance(flag, (bool, int)):
            raise ValueError(
                f'{where} has mask_ignored={flag!r}; expected true or false')
        return bool(flag)

    def _check_classes(self) -> None:
        """Fail when a class of the config is not a category of the file."""
        classes = list(self.metainfo['classes'])
        if len(self.cat_ids) >= len(classes):
            return
        with get_local_path(
                self.ann_file, backend_args=self.backend_args) as local_path:
            with open(local_path) as f:
                names = {c['name'] for c in json.load(f)['categories']}
        missing = [c for c in classes if c not in names]
        raise ValueError(
            f'{self.ann_file}: the classes {missing} of the dataset '
            f"metainfo are not category names of the file (it has "
            f'{sorted(names)}); set metainfo=dict(classes=...) to match')


@DATASETS.register_module()
class SyntheticShapesDataset(CocoDataset):
    """COCO-format dataset of the generated demo scenes (5 shape classes,
    :func:`mmboxcaseg.datasets.generate_synthetic_dataset`)."""

    METAINFO = {'classes': SYNTHETIC_CLASSES, 'palette': SYNTHETIC_PALETTE}
