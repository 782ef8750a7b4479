"""Stage 2's output, written by an MMEngine test run.

:class:`ProxyMaskWriter` is the test evaluator of a proxy-mask run: each rank
streams its images' records (:func:`image_records`: paste, merge, drop, RLE)
to its part file as they come (memory stays flat in the data set size: no
mask is gathered), and at the end rank 0 merges the parts into the output
json in input order (:func:`assemble_output`) and writes the report.
"""
import dataclasses
import json
import os.path as osp
import time
from collections import Counter
from typing import Dict, List, Optional

from mmengine.dist import barrier, broadcast_object_list, get_dist_info
from mmengine.logging import MessageHub, print_log

from mmboxcaseg.evaluation.functional.image_records import ProxySettings
from mmboxcaseg.evaluation.metrics.box_mask_metric import (SUMMARY_KEYS,
                                                           BoxMaskMetric)
from mmboxcaseg.registry import METRICS
from mmboxcaseg.structures.coco_index import MAX_PIXELS, index_coco
from .assemble import PartIndex, assemble_output, atomic_write
from .mask_rcnn_config import class_names
from .options import ProxyInputError, default_report_path, writing
from .part_file import PartWriter, part_path, scan_part
from .report import build_report, format_report

PART_FORMAT = 'mmboxcaseg-proxy-part-v2'
# what a part line keeps of a record (category ids come from the input)
PART_KEYS = ('id', 'segmentation', 'proxy_agreement', 'mask_ignored', 'skip',
             'score', 'gt_iou', 'gt_invalid')


def part_header(header: Optional[dict], settings: ProxySettings) -> dict:
    """The header of a run's part files (without ``rank`` / ``world``):
    ``header`` and every field of ``settings``."""
    return dict(
        format=PART_FORMAT, **(header or {}), **dataclasses.asdict(settings))


@METRICS.register_module()
class ProxyMaskWriter(BoxMaskMetric):
    """Write proxy masks of every box of a COCO json (see module docstring).

    Args:
        out_file (str): the output json (written atomically by rank 0).
        ann_file (str): the input json (never modified).
        parts_dir (str, optional): the run's part folder (default
            ``<out_file>.parts``).
        report_file (str, optional): the report json (default
            ``<out_file without .json>.report.json``).
        resume (bool): continue the part files of a killed run (they must
            carry the same ``header``).
        header (dict, optional): what determines the output (input sha1,
            model, checkpoint sha1, pipeline, settings); a part file of
            another header is refused on resume.
        merge, drop_thr, agreement, drop_score_thr, with_gt: the per-image
            steps
            (:class:`ProxySettings`).
        num_threads (int): threads for the per-image steps (0: inline).
        max_pixels, allow_outside_root: as the data set's (the assembly
            re-reads the input with the same rules).
    """
    default_prefix: Optional[str] = 'proxy'

    def __init__(self,
                 out_file: str,
                 ann_file: str,
                 parts_dir: Optional[str] = None,
                 report_file: Optional[str] = None,
                 resume: bool = False,
                 header: Optional[dict] = None,
                 merge: bool = True,
                 drop_thr: float = 0.0,
                 agreement: str = 'snapped',
                 drop_score_thr: float = 0.0,
                 with_gt: bool = True,
                 num_threads: int = 1,
                 max_pixels: int = MAX_PIXELS,
                 allow_outside_root: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            merge=merge,
            drop_thr=drop_thr,
            agreement=agreement,
            drop_score_thr=drop_score_thr,
            num_threads=num_threads,
            collect_device=collect_device,
            prefix=prefix)
        # BoxMaskMetric's settings, and whether to score against GT masks
        self.settings = dataclasses.replace(self.settings,
                                            with_gt=bool(with_gt))
        self.out_file = None  # BoxMaskMetric's pickle dump: not used here
        self.output = out_file
        self.ann_file = ann_file
        self.parts_dir = parts_dir or out_file + '.parts'
        self.report_file = report_file or default_report_path(out_file)
        self.resume = bool(resume)
        self.max_pixels = int(max_pixels)
        self.allow_outside_root = bool(allow_outside_root)
        self.header = part_header(header, self.settings)
        self._part: Optional[PartWriter] = None
        self._start = time.perf_counter()
        self._seconds: Counter = Counter()
        self._instances = 0

    # ------------------------------------------------------------ streaming
    def _open(self) -> PartWriter:
        if self._part is None:
            rank, world = get_dist_info()
            path = part_path(self.parts_dir, rank, world)
            header = dict(self.header, rank=rank, world=world)
            self._part = PartWriter(path, header, self.resume)
        return self._part

    def process(self, data_batch, data_samples) -> None:
        t0 = time.perf_counter()
        for sample in data_samples:
            self.records.submit(sample)
        self._seconds['process'] += time.perf_counter() - t0

    def consume(self, sample, records: List[dict], stats: Counter) -> None:
        part = self._open()
        idx = int(sample['sample_idx'])
        if idx <= part.state.last_idx:
            raise RuntimeError(
                f'{part.path} already holds image {sample["img_id"]!r} '
                f'(data set index {idx}): the part file is not of this run')
        t0 = time.perf_counter()
        lines = [{k: r[k] for k in PART_KEYS if k in r} for r in records]
        part.write_image(sample['img_id'], lines, stats, idx=idx)
        self._seconds['write'] += time.perf_counter() - t0
        self._instances += sum(r['skip'] is None for r in records)

    # ------------------------------------------------------------ the end
    def evaluate(self, size: int) -> dict:
        """Finish this rank's part; rank 0 assembles output and report."""
        self.records.flush()
        part = self._open()
        part.finish()
        rank, world = get_dist_info()
        timing = osp.join(self.parts_dir, f'timing-{rank:05d}.json')
        with writing(timing), open(timing, 'w') as f:
            json.dump(self._timing(), f)
        if world > 1:
            barrier()
        metrics = [None]
        if rank == 0:
            metrics[0] = self._assemble(world)
        if world > 1:
            broadcast_object_list(metrics)
        self.results.clear()
        return metrics[0]

    def _timing(self) -> Dict[str, float]:
        hub = MessageHub.get_current_instance()

        def total(key):
            buf = hub.log_scalars.get(key)
            return float(buf.data[0].sum()) if buf is not None else 0.0

        iter_s, load_s = total('test/time'), total('test/data_time')
        return dict(
            load=load_s,
            inference=max(iter_s - load_s - self._seconds['process'], 0.0),
            postprocess=self._seconds['process'],
            write=self._seconds['write'],
            shard_wall=time.perf_counter() - self._start,
            instances=self._instances)

    def _assemble(self, world: int) -> Dict[str, float]:
        t0 = time.perf_counter()
        index = index_coco(
            self.ann_file,
            verbose=False,
            max_pixels=self.max_pixels,
            allow_outside_root=self.allow_outside_root)
        expected = self.header.get('input_sha1')
        if expected and index.fingerprint != expected:
            raise ProxyInputError(f'{self.ann_file} changed while the run '
                                  'was going; run again without --resume')
        paths = [part_path(self.parts_dir, r, world) for r in range(world)]
        states = [scan_part(p) for p in paths]
        if not all(s.done for s in states):
            raise RuntimeError(f'part files in {self.parts_dir} are '
                               'incomplete')
        acc = assemble_output(index, PartIndex(paths, states), self.output)
        timings = []
        for r in range(world):
            p = osp.join(self.parts_dir, f'timing-{r:05d}.json')
            if osp.isfile(p):
                with open(p) as f:
                    timings.append(json.load(f))
        timing = Counter()
        for t in timings:
            timing.update(t)
        timing = {k: round(float(v), 4) for k, v in timing.items()}
        n_new = int(timing.pop('instances', 0))
        timing['assemble'] = round(time.perf_counter() - t0, 4)
        timing['wall'] = round(time.perf_counter() - self._start, 4)
        timing['shards'] = world
        timing['instances_per_s'] = round(n_new / max(timing['wall'], 1e-9),
                                          2)
        busy = max([t['shard_wall'] for t in timings], default=0.0)
        timing['processing_instances_per_s'] = round(
            n_new / max(busy, 1e-9), 2)
        settings = dict(
            ann_file=self.ann_file,
            out=self.output,
            generator=self.header.get('generator'),
            # what the per-image steps did (every ProxySettings field but
            # with_gt: whether GT scored the masks shows in `quality`)
            **{k: v for k, v in dataclasses.asdict(self.settings).items()
               if k != 'with_gt'},
            # the written Mask R-CNN config's classes (tools read them here,
            # not from the input json a second time)
            classes=class_names(index.data.get('categories') or []))
        report = build_report(
            acc['agreement'],
            acc['ignored'],
            acc['skip'],
            acc['gt_iou'],
            acc['category_ids'],
            crowd=acc['crowd'],
            scores=acc['score'],
            notes=acc['notes'],
            settings=settings,
            timing=timing)
        with atomic_write(self.report_file) as f:
            json.dump(report, f, indent=1)
        print(format_report(report), flush=True)
        print_log(
            f'wrote {self.output} and {self.report_file}', logger='current')
        quality = report.get('quality', {}).get('all', {})
        metrics = {k: float(quality[k]) for k in SUMMARY_KEYS if k in quality}
        metrics['instances'] = float(report['processed'])
        return metrics
