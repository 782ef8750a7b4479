"""Per-instance mask IoU of box-conditioned predictions (class-agnostic stage).

Every box of every image of a :class:`~mmboxcaseg.datasets.BoxImageDataset`
gets its mask through
:func:`~mmboxcaseg.evaluation.functional.image_records.image_records` (the
same per-image step that writes proxy masks), and the mask is scored against
the annotation's GT mask by IoU (pycocotools, on RLEs of the whole image).
Summaries: ``mIoU*`` (the paper's class mean of per-instance IoU), ``mIoU``
and ``IoU@25/50/70/75`` (:func:`summarize_instance_ious`).
"""
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import dump
from mmengine.logging import MMLogger, print_log
from terminaltables import AsciiTable

from mmboxcaseg.evaluation.functional import (IOU_THRESHOLDS,
                                              summarize_instance_ious)
from mmboxcaseg.registry import METRICS

SUMMARY_KEYS = ('mIoU*', 'mIoU') + tuple(f'IoU@{int(round(k * 100))}'
                                         for k in IOU_THRESHOLDS)


class RecordPool:
    """Runs :func:`image_records` inline or in threads, results in order.

    With ``num_threads > 0`` the per-image steps (resize, GrabCut
    refinement, paste, merge, drop, RLE) of a batch run while the network
    predicts the next one; at most ``4 * num_threads`` images are in flight.

    Args:
        settings (ProxySettings): what the per-image steps do.
        num_threads (int): threads; 0 runs them in the calling thread.
        consume (callable): ``consume(sample, records, stats)``, called in
            input order in the calling thread.
    """

    def __init__(self, settings, num_threads: int, consume) -> None:
        from ..functional.image_records import image_records
        self._fn = image_records
        self.settings = settings
        self.consume = consume
        self.num_threads = int(num_threads)
        self._pool = ThreadPoolExecutor(self.num_threads) \
            if self.num_threads > 0 else None
        self._pending: deque = deque()
        self._refiners: dict = {}

    def submit(self, sample) -> None:
        if self._pool is None:
            self.consume(sample,
                         *self._fn(sample, self.settings, self._refiners))
            return
        self._pending.append(
            (sample,
             self._pool.submit(self._fn, sample, self.settings,
                               self._refiners)))
        self._drain(block=len(self._pending) > 4 * self.num_threads)

    def _drain(self, block: bool) -> None:
        while self._pending and (block or self._pending[0][1].done()):
            sample, future = self._pending.popleft()
            self.consume(sample, *future.result())
            block = len(self._pending) > 4 * self.num_threads

    def flush(self) -> None:
        """Wait for every submitted image."""
        while self._pending:
            sample, future = self._pending.popleft()
            self.consume(sample, *future.result())


@METRICS.register_module()
class BoxMaskMetric(BaseMetric):
    """``mIoU*``, ``mIoU`` and ``IoU@25/50/70/75`` of per-instance masks,
    and ``score_rho``: Spearman's rank correlation of the masks' scores with
    their IoU (how well the scores tell which masks are wrong; absent where
    the scores or the IoUs are all equal).

    Instances without a usable GT mask, and skipped ones, are counted but
    not scored. Results are percentages, logged as a table.

    Args:
        merge (bool): merge the masks of an image ("smaller object better")
            before scoring. Defaults to False (the class-agnostic stage
            scores each box alone).
        drop_thr (float): also report the quality of the masks kept at this
            proxy box agreement (``kept/...`` keys); 0 (default) keeps all.
        agreement (str): ``'snapped'`` or ``'literal'``.
        drop_score_thr (float): the same for the masks whose ``score`` is
            at least this (with ``drop_thr``: kept by both).
        num_threads (int): threads for the per-image steps (0: inline).
        classwise (bool): also log the mean IoU and count of every class.
        out_file (str, optional): also dump every instance (``id``,
            ``image_id``, ``category_id``, RLE ``segmentation``, ``score``,
            ``gt_iou``) to this pickle (``tools/test.py --out``).
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): key prefix. Defaults to ``'boxmask'``.
    """
    default_prefix: Optional[str] = 'boxmask'

    def __init__(self,
                 merge: bool = False,
                 drop_thr: float = 0.0,
                 agreement: str = 'snapped',
                 drop_score_thr: float = 0.0,
                 num_threads: int = 0,
                 classwise: bool = False,
                 out_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        from ..functional.image_records import ProxySettings
        self.settings = ProxySettings(
            merge=bool(merge),
            drop_thr=float(drop_thr),
            agreement=agreement,
            drop_score_thr=float(drop_score_thr))
        self.classwise = classwise
        self.out_file = out_file
        self.num_threads = int(num_threads)
        self._records: Optional[RecordPool] = None

    @property
    def records(self) -> RecordPool:
        if self._records is None:
            self._records = RecordPool(self.settings, self.num_threads,
                                       self.consume)
        return self._records

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            self.records.submit(sample)

    def consume(self, sample, records: List[dict], stats: Counter) -> None:
        """Keep what the summary needs (one item per image)."""
        item = dict(
            gt_iou=[r['gt_iou'] for r in records],
            score=[r['score'] for r in records],
            category_id=[r['category_id'] for r in records],
            skip=[r['skip'] for r in records],
            ignored=[r['mask_ignored'] for r in records],
            stats=dict(stats))
        if self.out_file:
            img_id = sample.get('img_id')
            item['instances'] = [
                dict(
                    id=r['id'],
                    image_id=img_id,
                    category_id=r['category_id'],
                    segmentation=r['segmentation'],
                    score=r['score'],
                    gt_iou=r['gt_iou'],
                    skip=r['skip']) for r in records
            ]
        self.results.append(item)

    def evaluate(self, size: int) -> dict:
        self.records.flush()
        return super().evaluate(size)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        ious = [v for r in results for v in r['gt_iou']]
        cats = [c for r in results for c in r['category_id']]
        kept = [not i for r in results for i in r['ignored']]
        has = np.array([v is not None for v in ious], dtype=bool)
        notes = Counter()
        for r in results:
            notes.update(r['stats'])
            notes.update(s for s in r['skip'] if s is not None)
        logger = MMLogger.get_current_instance()
        if self.out_file:
            instances = [d for r in results for d in r['instances']]
            dump(instances, self.out_file, file_format='pkl')
            print_log(
                f'wrote {len(instances)} instances to {self.out_file}',
                logger='current')
        if not has.any():
            logger.warning('BoxMaskMetric: no instance with a GT mask to '
                           f'score ({len(ious)} instances; {dict(notes)})')
            return {k: float('nan') for k in SUMMARY_KEYS}
        ious_a = np.array([v for v in ious if v is not None])
        cats_a = np.array([str(c) for c, h in zip(cats, has) if h])
        summary = summarize_instance_ious(ious_a, cats_a)
        rows = [list(SUMMARY_KEYS) + ['instances'],
                [f'{summary[k]:.2f}' for k in SUMMARY_KEYS] +
                [str(summary['instances'])]]
        metrics = {k: float(summary[k]) for k in SUMMARY_KEYS}
        # how well the masks' scores rank them by their true IoU
        scores = np.array(
            [s for r in results for s in r['score']], dtype=np.float64)[has]
        if len(ious_a) > 1 and np.ptp(scores) > 0 and np.ptp(ious_a) > 0:
            from scipy.stats import spearmanr
            metrics['score_rho'] = float(spearmanr(scores, ious_a).statistic)
            rows[0].append('score rho')
            rows[1].append(f'{metrics["score_rho"]:.3f}')
        keep = has & np.array(kept, dtype=bool)
        dropping = self.settings.drop_thr > 0 or \
            self.settings.drop_score_thr > 0
        if dropping and keep.any():
            all_ious = np.array([np.nan if v is None else v for v in ious])
            kept_summary = summarize_instance_ious(
                all_ious[keep], np.array([str(c) for c in cats])[keep])
            rows.append([f'{kept_summary[k]:.2f}' for k in SUMMARY_KEYS] +
                        [f'{kept_summary["instances"]} kept'] +
                        [''] * (len(rows[0]) - len(SUMMARY_KEYS) - 1))
            metrics.update({f'kept/{k}': kept_summary[k]
                            for k in SUMMARY_KEYS})
        table = AsciiTable(rows, 'box-to-mask IoU').table
        if notes:
            table += f'\nnot scored / events: {dict(sorted(notes.items()))}'
        logger.info('\n' + table)
        if self.classwise:
            logger.info('\n' + self._class_table(ious_a, cats_a))
        return metrics

    def _class_table(self, ious: np.ndarray, cats: np.ndarray) -> str:
        meta = self.dataset_meta or {}
        names = {
            str(i): n
            for i, n in zip(meta.get('cat_ids', []), meta.get('classes', []))
        }
        classes, inverse = np.unique(cats, return_inverse=True)
        mean = np.bincount(inverse, weights=ious) / np.bincount(inverse)
        rows = [['category', 'mIoU', 'instances']]
        for c, m, n in zip(classes, mean, np.bincount(inverse)):
            rows.append([names.get(c, c), f'{100 * m:.2f}', str(n)])
        return AsciiTable(rows, 'per class').table


__all__ = ['BoxMaskMetric', 'RecordPool', 'SUMMARY_KEYS']
