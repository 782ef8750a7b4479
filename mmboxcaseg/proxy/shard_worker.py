"""One shard of the converter: images -> proxy masks -> part file.

For every image of the shard (image ``i`` of ``images`` belongs to shard
``i % W``), in input order: read it (threads, ahead of time), queue its
usable boxes, run the generator on exact batches of ``batch_size`` boxes
across images (an image's boxes may span two batches), then per image, as
soon as all its masks are there: paste the box-local masks (column-major
per mask, the layout pycocotools encodes without a copy), merge (smaller
object better), drop (proxy box agreement), RLE-encode, compare with GT
masks when the json has them, and append the image's records to the part
file. Only the images and masks of about one batch
are held at a time.
"""
import logging
import os.path as osp
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Deque, List, Optional

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from mmboxcaseg.structures import box_regions
from .coco_input import SKIP_REASONS, ImageEntry, ProxyInput
from .drop import drop_by_box_agreement
from .image_loader import prefetch_images, read_image
from .merge import merge_smaller_first
from .part_file import PartWriter, iter_records
from .rle import (column_major_zeros, empty_rle, encode_masks, gt_rle,
                  paired_iou)
from .timers import StageTimers


class _ThrottledBar:
    """mmengine's ProgressBar (instances, instances/s, ETA) on stderr,
    redrawn at most every ``interval`` seconds."""

    def __init__(self, total: int, interval: float = 1.0) -> None:
        self.bar = ProgressBar(total, file=sys.stderr)
        self.interval = interval
        self.pending = 0
        self.last = time.perf_counter()

    def add(self, n: int) -> None:
        self.pending += n
        now = time.perf_counter()
        if now - self.last >= self.interval:
            self.bar.update(self.pending)
            self.pending, self.last = 0, now

    def close(self) -> None:
        if self.pending:
            self.bar.update(self.pending)
        sys.stderr.write('\n')


@dataclass
class _ImageJob:
    entry: ImageEntry
    image: Optional[np.ndarray]
    problem: Optional[str]  # image-level skip reason
    valid: np.ndarray  # (n,) bool over entry.ann_index
    boxes: np.ndarray  # (n_valid, 4) clipped xyxy
    masks: list = field(default_factory=list)  # box-local masks
    stats: Counter = field(default_factory=Counter)


@dataclass
class ShardSettings:
    """What a shard needs besides its input and generator."""
    img_root: str
    merge: bool = True
    drop_thr: float = 0.95
    batch_size: int = 16
    num_threads: int = 4
    progress: bool = True
    backend_args: Optional[dict] = None


class ShardWorker:
    """Runs one shard (see the module docstring).

    Args:
        inp (ProxyInput): the checked json.
        generator: a proxy-mask generator (``generate(images, boxes)``).
        settings (ShardSettings): merge/drop/batching options.
        timers (StageTimers, optional): where stage times accumulate.
    """

    def __init__(self,
                 inp: ProxyInput,
                 generator,
                 settings: ShardSettings,
                 timers: Optional[StageTimers] = None) -> None:
        self.inp = inp
        self.generator = generator
        self.cfg = settings
        self.timers = timers or StageTimers()
        self.instances = 0
        self._warned: Counter = Counter()

    # ------------------------------------------------------------- driver
    def run(self, writer: PartWriter, image_index: List[int]) -> None:
        """Process ``images[k]`` for ``k`` in ``image_index`` not yet in the
        part file, appending to ``writer``."""
        images = self.inp.images
        done = writer.done_images
        expected = [images[k].id for k in image_index[:len(done)]]
        if list(done) != expected:
            raise RuntimeError(
                f'{writer.path} holds images {done[:5]}... but this shard '
                f'starts with {expected[:5]}...: not a part of this run')
        todo = [images[k] for k in image_index[len(done):]]
        total = int(sum(len(e.ann_index) for e in todo))
        bar = _ThrottledBar(total) if (self.cfg.progress and total) else None
        paths = [
            osp.join(self.cfg.img_root, e.file_name)
            if e.problem is None else None for e in todo
        ]
        loader = prefetch_images(
            paths,
            num_threads=self.cfg.num_threads,
            depth=max(8, 2 * self.cfg.num_threads),
            backend_args=self.cfg.backend_args)
        bs = self.cfg.batch_size
        self._queue, self._queued = self._carry_over(writer, image_index, bs)
        pending: Deque[_ImageJob] = deque()
        for entry in todo:
            with self.timers('load'):
                img, err = next(loader)
            job = self._prepare(entry, img, err)
            pending.append(job)
            lo, n = 0, len(job.boxes)
            while lo < n:  # cut exact batches, splitting an image if need be
                take = min(n - lo, bs - self._queued)
                self._queue.append((job, lo, lo + take))
                self._queued += take
                lo += take
                if self._queued == bs:
                    self._generate()
            self._write_ready(pending, writer, bar)
        self._generate()
        self._write_ready(pending, writer, bar)
        if bar is not None:
            bar.close()
        writer.finish()

    def _carry_over(self, writer: PartWriter, image_index: List[int],
                    bs: int) -> tuple:
        """The batch a resumed shard must start with.

        Batches are cut from the shard's stream of usable boxes at multiples
        of ``bs``. A network's floats depend (in the last bits) on which
        crops share a batch, so a resumed run re-runs the boxes of finished
        images that shared the first unfinished batch (their masks are
        discarded, their lines are already written). The output is then
        byte-identical to an uninterrupted run.
        """
        done = writer.done_images
        if not done:
            return [], 0
        finished = sum(1 for _, rec in iter_records(writer.path, writer.state)
                       if rec.get('skip') is None)
        need = finished % bs
        ghosts = []
        k = len(done) - 1
        while need > 0 and k >= 0:
            entry = self.inp.images[image_index[k]]
            img, err = read_image(
                osp.join(self.cfg.img_root, entry.file_name),
                self.cfg.backend_args) if entry.problem is None else (None,
                                                                       None)
            job = self._prepare(entry, img, err)
            n = len(job.boxes)
            take = min(n, need)
            if take:
                ghosts.insert(0, (job, n - take, n))
            need -= take
            k -= 1
        return ghosts, sum(hi - lo for _, lo, hi in ghosts)

    def _prepare(self, entry: ImageEntry, img, err) -> _ImageJob:
        problem = entry.problem or err
        name = f'{self.cfg.img_root}/{entry.file_name}'
        if problem is None and img.shape[:2] != (entry.height, entry.width):
            problem = 'image_size_mismatch'
            detail = (f'is {img.shape[1]}x{img.shape[0]}, the json says '
                      f'{entry.width}x{entry.height}')
        else:
            detail = {
                'image_missing': 'does not exist',
                'image_unreadable': 'cannot be read as an image'
            }.get(problem, 'has an invalid json entry')
        if problem is not None:
            self._warn(
                problem, f'image {name} (id {entry.id!r}) {detail}: '
                f'its {len(entry.ann_index)} annotations get empty '
                'masks')
            img = None
        skip = self.inp.skip[entry.ann_index]
        valid = (skip == 0) & (problem is None)
        return _ImageJob(entry, img, problem, valid,
                         self.inp.boxes[entry.ann_index[valid]])

    def _warn(self, reason: str, msg: str) -> None:
        self._warned[reason] += 1
        if self._warned[reason] <= 5:
            print_log(
                f'[{reason}] {msg}', logger='current', level=logging.WARNING)

    # ------------------------------------------------------------- stages
    def _generate(self) -> None:
        """Run the generator on the queued box segments (one batch)."""
        if not self._queue:
            return
        gen = self.generator
        before = Counter(getattr(gen, 'stats', {}))
        with self.timers('inference'):
            masks = gen.generate(
                [job.image for job, _, _ in self._queue],
                [job.boxes[lo:hi] for job, lo, hi in self._queue])
        per_image = getattr(gen, 'image_stats', None)
        if per_image is None or len(per_image) != len(self._queue):
            # no per-image counts: the batch's go to its last image
            per_image = [Counter() for _ in self._queue]
            per_image[-1] = Counter(getattr(gen, 'stats', {})) - before
        for (job, lo, hi), m, stats in zip(self._queue, masks, per_image):
            if len(m) != hi - lo:
                raise RuntimeError(f'the generator returned {len(m)} masks '
                                   f'for {hi - lo} boxes')
            job.masks.extend(m)
            job.stats.update(stats)
        self._queue, self._queued = [], 0

    def _write_ready(self, pending: Deque[_ImageJob], writer: PartWriter,
                     bar) -> None:
        """Finish and write the leading images whose masks are all there."""
        while pending and len(pending[0].masks) == len(pending[0].boxes):
            job = pending.popleft()
            records = self._finish_image(job)
            with self.timers('write'):
                writer.write_image(job.entry.id, records, job.stats)
            self.instances += len(job.valid)
            if bar is not None:
                bar.add(len(job.valid))
            job.image = job.masks = None

    def _finish_image(self, job: _ImageJob) -> List[dict]:
        """Paste, merge, drop, encode and score one image's masks."""
        e, t = job.entry, self.timers
        anns = self.inp.annotations
        n_valid = len(job.boxes)
        h, w = e.height, e.width
        rles, agreement, ignored, ious = [], [], [], [None] * n_valid
        gt_bad = [False] * n_valid
        if n_valid:
            with t('paste'):
                full = self._paste(job.masks, box_regions(job.boxes, (h, w)),
                                   h, w)
            if self.cfg.merge:
                with t('merge'):
                    full = merge_smaller_first(full, job.boxes)
            with t('drop'):
                agreement, ignored = drop_by_box_agreement(
                    full, job.boxes, self.cfg.drop_thr)
            with t('rle'):
                rles = encode_masks(full)
            del full
            with t('gt_iou'):
                ious, gt_bad = self._gt_ious(job, rles)
        records, k = [], 0
        empty = None
        for pos, ok, code in zip(e.ann_index, job.valid,
                                 self.inp.skip[e.ann_index]):
            rec = {'id': anns[pos]['id']}
            if ok:
                rec.update(
                    segmentation=rles[k],
                    proxy_agreement=float(agreement[k]),
                    mask_ignored=bool(ignored[k]),
                    skip=None,
                    gt_iou=ious[k])
                if gt_bad[k]:
                    rec['gt_invalid'] = True
                k += 1
            else:
                if empty is None:
                    empty = empty_rle(h, w)
                reason = job.problem or SKIP_REASONS[code - 1]
                rec.update(
                    segmentation=empty,
                    proxy_agreement=0.0,
                    mask_ignored=True,
                    skip=reason,
                    gt_iou=None)
            records.append(rec)
        return records

    @staticmethod
    def _paste(local_masks, regions, h: int, w: int) -> np.ndarray:
        """(N, H, W) full-image masks in the column-major layout that merge
        keeps and RLE encoding reads without a transposing copy (the regions
        are those of ``box_regions``, as in ``paste_masks``)."""
        full = column_major_zeros(len(local_masks), h, w)
        for i, (m, (x0, y0, x1, y1)) in enumerate(zip(local_masks, regions)):
            if np.shape(m) != (y1 - y0, x1 - x0):
                raise RuntimeError(
                    f'the generator returned a {np.shape(m)} mask for region '
                    f'{(x0, y0, x1, y1)}, which needs {(y1 - y0, x1 - x0)}')
            full[i, y0:y1, x0:x1] = m
        return full

    def _gt_ious(self, job: _ImageJob, rles: List[dict]):
        """IoU of each proxy with its GT mask (None where the json has no
        mask); second value flags unreadable GT masks."""
        e = job.entry
        anns = self.inp.annotations
        pos = e.ann_index[job.valid]
        ious: List[Optional[float]] = [None] * len(pos)
        bad = [False] * len(pos)
        have, gts = [], []
        for k, p in enumerate(pos):
            try:
                g = gt_rle(anns[p].get('segmentation'), e.height, e.width)
            except ValueError as err:
                bad[k] = True
                self._warn(
                    'gt_mask_invalid', f'annotation id '
                    f'{anns[p]["id"]!r}: GT mask not used ({err})')
                continue
            if g is not None:
                have.append(k)
                gts.append(g)
        if have:
            vals = paired_iou([rles[k] for k in have], gts)
            for k, v in zip(have, vals):
                ious[k] = float(v)
        return ious, bad
