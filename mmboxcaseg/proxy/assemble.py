"""Merge the shards' part files into the output json, in input order.

The output is the input json with, for every non-crowd annotation,
``segmentation`` replaced in place by the proxy RLE, ``proxy_agreement``,
``mask_ignored`` and ``score`` set, and ``area`` and ``iscrowd`` added where
missing (appended when new); crowd annotations and every other field are
copied as they are. It is written as a stream (one
annotation at a time, each looked up in the part files by offset), to a
temporary file in the output's folder that replaces the output at the end.
"""
import json
import math
import os
import os.path as osp
from collections import Counter
from contextlib import ExitStack
from typing import Dict, List

from mmboxcaseg.structures.coco_index import (SKIP_REASONS, CocoIndex,
                                              parse_box_list)
from mmboxcaseg.structures.coco_masks import empty_rle, rle_area
from .options import writing
from .part_file import PartState, dumps, iter_records


def atomic_write(path: str):
    """A context manager yielding a text file that replaces ``path`` only
    when the block finishes without error."""
    return _AtomicWriter(path)


class _AtomicWriter:

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self):
        folder = osp.dirname(osp.abspath(self.path))
        name = osp.basename(self.path)
        while True:
            self.tmp = osp.join(folder, f'.{name}.{os.urandom(4).hex()}.tmp')
            try:
                # mode 0666 less the umask, as open() makes files (mkstemp's
                # files are 0600 whatever the umask)
                fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o666)
                break
            except FileExistsError:
                continue
        self.f = os.fdopen(fd, 'w', encoding='utf-8')
        return self.f

    def __exit__(self, exc_type, exc, tb):
        try:
            with writing(self.path):  # a full disk's error names no file
                try:
                    if exc_type is None:
                        self.f.flush()
                        os.fsync(self.f.fileno())
                finally:
                    self.f.close()
                if isinstance(exc, OSError):
                    raise exc
                if exc_type is None:
                    os.replace(self.tmp, self.path)
        finally:
            if osp.exists(self.tmp):
                os.remove(self.tmp)
        return False


class PartIndex:
    """Where each annotation's record lies in the part files.

    Args:
        paths (list[str]): part files.
        states (list[PartState]): their scans (up to the last complete
            image).
    """

    def __init__(self, paths: List[str], states: List[PartState]) -> None:
        self.paths = paths
        self._where: Dict = {}
        n = len(paths)
        for fno, (p, s) in enumerate(zip(paths, states)):
            for off, rec in iter_records(p, s):
                self._where[rec['id']] = off * n + fno
        self.stats: Counter = Counter()
        for s in states:
            self.stats.update(s.stats)

    def __len__(self) -> int:
        return len(self._where)

    def open(self, stack: ExitStack):
        """Open the part files for :meth:`get` inside ``stack``."""
        self._files = [stack.enter_context(open(p, 'rb')) for p in self.paths]

    def get(self, ann_id) -> dict:
        code = self._where[ann_id]
        n = len(self.paths)
        f = self._files[code % n]
        f.seek(code // n)
        return json.loads(f.readline())


def proxy_area(ann: dict, rle: dict) -> float:
    """The ``area`` of a proxy annotation whose input has none: the mask's
    pixels, or the box's ``w * h`` where the mask is empty (0 when the box
    does not parse): mmdet's ``CocoDataset`` drops an instance of area 0,
    box included."""
    pixels = rle_area(rle)
    if pixels:
        return pixels
    w, h = (float(v) for v in parse_box_list([ann.get('bbox')])[0, 2:])
    area = w * h
    return area if w > 0 and h > 0 and math.isfinite(area) else 0.0


def assemble_output(inp: CocoIndex, index: PartIndex, out: str) -> dict:
    """Write the output json and gather what the report needs.

    Returns:
        dict: lists over non-crowd annotations in input order
        (``agreement``, ``ignored``, ``skip``, ``gt_iou``, ``category_ids``),
        ``crowd`` (count) and ``notes`` (counts).
    """
    anns = inp.annotations
    orphan = set(int(k) for k in inp.orphan_index)
    acc = dict(agreement=[], ignored=[], skip=[], gt_iou=[], category_ids=[],
               score=[])
    notes = Counter(inp.counts)
    notes.update(index.stats)
    crowd = 0
    with ExitStack() as stack:
        index.open(stack)
        f = stack.enter_context(atomic_write(out))
        f.write('{')
        for i, (key, value) in enumerate(inp.data.items()):
            f.write((',' if i else '') + dumps(key) + ':')
            if key != 'annotations':
                f.write(dumps(value))
                continue
            f.write('[')
            for k, ann in enumerate(anns):
                if k:
                    f.write(',')
                if inp.crowd[k]:
                    crowd += 1
                    f.write(dumps(ann))
                    continue
                if k in orphan:
                    rec = dict(
                        segmentation=empty_rle(0, 0),
                        proxy_agreement=0.0,
                        mask_ignored=True,
                        skip=SKIP_REASONS[inp.skip[k] - 1],
                        score=0.0,
                        gt_iou=None)
                else:
                    try:
                        rec = index.get(ann['id'])
                    except KeyError:
                        raise RuntimeError(
                            f'no proxy mask for annotation id {ann["id"]!r} '
                            'in the part files: they are incomplete') from None
                new = dict(ann)
                new['segmentation'] = rec['segmentation']
                new['proxy_agreement'] = rec['proxy_agreement']
                new['mask_ignored'] = rec['mask_ignored']
                new['score'] = rec['score']
                if 'area' not in new:
                    new['area'] = proxy_area(ann, rec['segmentation'])
                new.setdefault('iscrowd', 0)
                f.write(dumps(new))
                acc['agreement'].append(rec['proxy_agreement'])
                acc['score'].append(rec['score'])
                acc['ignored'].append(rec['mask_ignored'])
                acc['skip'].append(rec['skip'])
                acc['gt_iou'].append(rec['gt_iou'])
                acc['category_ids'].append(ann.get('category_id'))
                notes['gt_mask_invalid'] += int(rec.get('gt_invalid', False))
            f.write(']')
        f.write('}\n')
    acc['crowd'] = crowd
    acc['notes'] = dict(notes)
    return acc
