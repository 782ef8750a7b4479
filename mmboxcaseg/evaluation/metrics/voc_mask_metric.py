"""PASCAL VOC instance-mask mAP at IoU 0.25 / 0.50 / 0.70 / 0.75."""
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Sequence, Union

import numpy as np
from mmdet.datasets.api_wrappers import COCO, COCOeval, COCOevalMP
from mmdet.evaluation import CocoMetric
from mmengine.fileio import load
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmboxcaseg.registry import METRICS


def ap_per_iou_threshold(precision: np.ndarray) -> np.ndarray:
    """COCO-style AP for each IoU threshold, averaged over classes.

    Args:
        precision (np.ndarray): ``COCOeval.eval['precision']``,
            ``[T, R, K, A, M]`` (IoU thresholds, recall points, classes, area
            ranges, max-detection settings), -1 where a class has no ground
            truth.

    Returns:
        np.ndarray: ``[T, K + 1]``: per threshold, the AP of each class (area
        "all", the largest max-detections setting; NaN for a class without
        ground truth) and, last, their mean, in percent.
    """
    p = precision[:, :, :, 0, -1]  # [T, R, K]
    valid = p > -1
    count = valid.sum(axis=1)
    per_class = np.where(valid, p, 0.0).sum(axis=1) / np.maximum(count, 1)
    per_class = np.where(count > 0, per_class, np.nan)
    has_gt = count.any(axis=0)  # [K]
    mean = per_class[:, has_gt].mean(axis=1) if has_gt.any() else \
        np.full(p.shape[0], np.nan)
    return 100.0 * np.concatenate([per_class, mean[:, None]], axis=1)


@METRICS.register_module()
class VOCMaskMetric(CocoMetric):
    """Mask (and box) mAP at the IoU thresholds of BoxCaseg's VOC tables.

    A thin layer over mmdet's ``CocoMetric`` (same ``process``, ground-truth
    conversion and result files): COCOeval is run once per metric with
    ``iouThrs = iou_thrs`` and the AP at *each* threshold is reported (COCO's
    101-point interpolated precision, all areas, the largest of
    ``proposal_nums`` detections per image), in percent, under readable keys:
    ``voc/segm_mAP@0.25``, ``voc/segm_mAP@0.50``, ``voc/segm_mAP@0.70``,
    ``voc/segm_mAP@0.75`` and the same for ``bbox``. No detection at all gives
    AP 0 (``CocoMetric`` would stop with an error message).

    Args:
        ann_file (str, optional): COCO-format ground truth (e.g.
            ``data/voc/annotations/voc_2012_val.json``); None converts the
            dataset's annotations, as ``CocoMetric``.
        metric (str | list[str]): ``'segm'`` and/or ``'bbox'``. Defaults to
            both.
        iou_thrs (Sequence[float]): Defaults to ``(0.25, 0.5, 0.7, 0.75)``.
        classwise (bool): also log a per-class table. Defaults to False.
        **kwargs: the other ``CocoMetric`` arguments (``format_only``,
            ``outfile_prefix``, ``backend_args``, ``proposal_nums``,
            ``use_mp_eval``, ``prefix``, ...).
    """
    default_prefix = 'voc'

    def __init__(self,
                 ann_file: str = None,
                 metric: Union[str, List[str]] = ('bbox', 'segm'),
                 iou_thrs: Sequence[float] = (0.25, 0.5, 0.7, 0.75),
                 classwise: bool = False,
                 **kwargs) -> None:
        metric = [metric] if isinstance(metric, str) else list(metric)
        for m in metric:
            if m not in ('bbox', 'segm'):
                raise KeyError(
                    f"VOCMaskMetric evaluates 'bbox' and 'segm', got '{m}'")
        super().__init__(
            ann_file=ann_file,
            metric=metric,
            iou_thrs=list(iou_thrs),
            classwise=classwise,
            **kwargs)

    @staticmethod
    def key(metric: str, iou_thr: float) -> str:
        """The result key of one metric at one threshold: ``segm_mAP@0.50``."""
        return f'{metric}_mAP@{iou_thr:.2f}'

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Per-threshold mAP from the processed results.

        Args:
            results (list): ``(gt, prediction)`` pairs from ``process``.

        Returns:
            dict[str, float]: ``{metric}_mAP@{thr:.2f}`` -> AP in percent.
        """
        logger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        eval_results = OrderedDict()
        with tempfile.TemporaryDirectory() as tmp_dir:
            outfile_prefix = self.outfile_prefix or osp.join(
                tmp_dir, 'results')
            if self._coco_api is None:
                self._coco_api = COCO(
                    self.gt_to_coco_json(
                        gt_dicts=gts, outfile_prefix=outfile_prefix))
            if self.cat_ids is None:
                self.cat_ids = self._coco_api.get_cat_ids(
                    cat_names=self.dataset_meta['classes'])
            if self.img_ids is None:
                self.img_ids = self._coco_api.get_img_ids()
            result_files = self.results2json(preds, outfile_prefix)
            if self.format_only:
                logger.info(f'results are saved in {result_files}')
                return eval_results
            for metric in self.metrics:
                ap = self._evaluate(metric, load(result_files[metric]))
                for thr, value in zip(self.iou_thrs, ap[:, -1]):
                    eval_results[self.key(metric,
                                          thr)] = round(float(value), 2)
                self._log(logger, metric, ap)
        return eval_results

    def _evaluate(self, metric: str, detections: list) -> np.ndarray:
        """AP ``[T, K + 1]`` in percent (see :func:`ap_per_iou_threshold`)."""
        num_thrs, num_classes = len(self.iou_thrs), len(self.cat_ids)
        if not detections:
            MMLogger.get_current_instance().warning(
                f'{metric}: no detection in any image, AP is 0')
            return np.zeros((num_thrs, num_classes + 1))
        if metric == 'segm':
            # with a box, COCO would measure the instance area on the box
            for det in detections:
                det.pop('bbox', None)
        evaluator = COCOevalMP if self.use_mp_eval else COCOeval
        coco_eval = evaluator(self._coco_api,
                              self._coco_api.loadRes(detections), metric)
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = list(self.proposal_nums)
        coco_eval.params.iouThrs = np.asarray(self.iou_thrs, dtype=np.float64)
        coco_eval.evaluate()
        coco_eval.accumulate()
        return ap_per_iou_threshold(coco_eval.eval['precision'])

    def _log(self, logger: MMLogger, metric: str, ap: np.ndarray) -> None:
        header = [f'mAP@{thr:.2f}' for thr in self.iou_thrs]
        rows = [['class'] + header]
        if self.classwise:
            names = [c['name'] for c in self._coco_api.loadCats(self.cat_ids)]
            rows += [[name] + [f'{v:.1f}' for v in ap[:, k]]
                     for k, name in enumerate(names)]
        rows.append(['mean'] + [f'{v:.1f}' for v in ap[:, -1]])
        table = AsciiTable(rows, title=f' {metric} ')
        logger.info('\n' + table.table)
