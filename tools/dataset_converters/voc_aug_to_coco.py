"""PASCAL VOC 2012 + SBD -> COCO instance json with RLE masks.

    python tools/dataset_converters/voc_aug_to_coco.py \\
        --voc-root data/VOCdevkit/VOC2012 --sbd-root data/SBD/dataset \\
        --out-dir data/voc/annotations

Expected layout::

    VOC_ROOT/JPEGImages/<stem>.jpg
    VOC_ROOT/SegmentationObject/<stem>.png     palette PNG: instance ids,
    VOC_ROOT/SegmentationClass/<stem>.png      class ids 1..20 (255 = void)
    VOC_ROOT/ImageSets/Segmentation/train.txt  1,464 stems
    VOC_ROOT/ImageSets/Segmentation/val.txt    1,449 stems
    SBD_ROOT/inst/<stem>.mat                   GTinst: Segmentation, Categories
    SBD_ROOT/train.txt                         8,498 stems
    SBD_ROOT/val.txt                           2,857 stems

Writes ``OUT_DIR/voc_2012_train_aug.json`` and ``OUT_DIR/voc_2012_val.json``:

* ``train_aug`` = (SBD train U SBD val U VOC train) - VOC val: 10,582 images on
  the standard release. An image with VOC annotations (in VOC train) takes
  them; the others take SBD's.
* ``val`` = VOC ``val.txt`` (1,449 images), VOC annotations.

VOC instance ``k`` is ``SegmentationObject == k`` (0 = background and
255 = void/boundary are not object); its class is the majority of
``SegmentationClass`` over its pixels. SBD instance ``k`` is
``Segmentation == k`` with class ``Categories[k - 1]``. Categories 1..20 in
the standard VOC order; ``bbox`` is the tight box of the mask (xywh, pixel
edges: columns 2..4 give x=2, w=3), ``area`` the mask's pixels, ``iscrowd`` 0,
``file_name`` relative to ``JPEGImages/``. Images that cannot be converted
(missing or unreadable files, size mismatch) are skipped, listed and counted.
"""
import argparse
import json
import os.path as osp
import sys
from collections import Counter
from functools import partial
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from mmboxcaseg.structures import masks_to_coco_annotations
from mmboxcaseg.utils import (check_dir, check_out_file, exit_on_user_error,
                              make_dir)

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
NUM_CLASSES = len(VOC_CLASSES)
SPLITS = ('train_aug', 'val')


def read_index_png(path: str) -> np.ndarray:
    """Indices of a palette (or grey) PNG, (H, W) uint8."""
    with Image.open(path) as img:
        if img.mode not in ('P', 'L'):
            raise ValueError(f'{path} is a {img.mode} image, expected a '
                             f'palette PNG of indices')
        return np.array(img)


def voc_instances(obj_png: str, cls_png: str) -> Tuple[np.ndarray, np.ndarray]:
    """VOC instances: (N, H, W) bool masks and (N,) classes in 1..20.

    An instance without any pixel of a class in 1..20 is dropped.
    """
    obj, cls = read_index_png(obj_png), read_index_png(cls_png)
    if obj.shape != cls.shape:
        raise ValueError(f'{obj_png} is {obj.shape}, {cls_png} is {cls.shape}')
    valid = (obj > 0) & (obj < 255)
    ids = np.unique(obj[valid])
    labelled = valid & (cls > 0) & (cls <= NUM_CLASSES)
    key = obj[labelled].astype(np.int64) * (NUM_CLASSES + 1) + cls[labelled]
    hist = np.bincount(
        key, minlength=256 * (NUM_CLASSES + 1)).reshape(256,
                                                        NUM_CLASSES + 1)[ids]
    ids = ids[hist.sum(1) > 0]
    cats = hist[hist.sum(1) > 0].argmax(1)
    return obj[None] == ids[:, None, None], cats


def sbd_instances(mat_path: str) -> Tuple[np.ndarray, np.ndarray]:
    """SBD instances from ``inst/<stem>.mat``: (N, H, W) bool, (N,) classes.

    Instances without pixels or with a class outside 1..20 are dropped.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError
    try:
        mat = loadmat(mat_path)
    except MatReadError as e:
        raise ValueError(f'{mat_path} is not a readable .mat file: {e}')
    try:
        gt = mat['GTinst'][0, 0]
        seg = np.asarray(gt['Segmentation'])
        cats = np.asarray(gt['Categories']).reshape(-1).astype(np.int64)
    except (KeyError, IndexError, ValueError) as e:
        raise ValueError(f'{mat_path} has no GTinst.Segmentation/Categories '
                         f'({type(e).__name__}: {e})')
    ids = np.arange(1, len(cats) + 1)
    masks = seg[None] == ids[:, None, None]
    keep = masks.any((1, 2)) & (cats >= 1) & (cats <= NUM_CLASSES)
    return masks[keep], cats[keep]


def convert_image(task: Tuple[str, str], voc_root: str,
                  sbd_root: Optional[str]) -> Tuple[str, object]:
    """One image: ``(stem, record)`` or ``(stem, 'error text')``.

    The record is ``dict(width, height, anns)``: COCO annotations whose
    ``id`` and ``image_id`` are set when the split is assembled.
    """
    stem, source = task
    img_path = osp.join(voc_root, 'JPEGImages', stem + '.jpg')
    try:
        with Image.open(img_path) as img:
            width, height = img.size
        if source == 'voc':
            masks, cats = voc_instances(
                osp.join(voc_root, 'SegmentationObject', stem + '.png'),
                osp.join(voc_root, 'SegmentationClass', stem + '.png'))
        else:
            masks, cats = sbd_instances(
                osp.join(sbd_root, 'inst', stem + '.mat'))
    except (OSError, ValueError) as e:  # missing/unreadable/bad content
        return stem, str(e)
    if masks.shape[1:] != (height, width):
        return stem, (f'{source} mask is {masks.shape[2]}x{masks.shape[1]} '
                      f'but {img_path} is {width}x{height}')
    anns = masks_to_coco_annotations(masks, cats, 0, 0)
    return stem, {'width': width, 'height': height, 'anns': anns}


def read_list(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def _require(path: str, what: str) -> str:
    if not osp.exists(path):
        raise SystemExit(f'error: {path} is missing ({what}); see the '
                         f'expected layout in --help')
    return path


def split_tasks(voc_root: str, sbd_root: Optional[str],
                split: str) -> List[Tuple[str, str]]:
    """``(stem, 'voc' or 'sbd')`` of a split, sorted (see module doc)."""
    seg_sets = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_val = read_list(_require(osp.join(seg_sets, 'val.txt'), 'VOC val'))
    if split == 'val':
        return [(s, 'voc') for s in sorted(set(voc_val))]
    voc_train = set(
        read_list(_require(osp.join(seg_sets, 'train.txt'), 'VOC train')))
    sbd = set()
    for name in ('train.txt', 'val.txt'):
        sbd.update(read_list(_require(osp.join(sbd_root, name), 'SBD list')))
    stems = (sbd | voc_train) - set(voc_val)
    return [(s, 'voc' if s in voc_train else 'sbd') for s in sorted(stems)]


def convert_split(tasks: List[Tuple[str, str]],
                  voc_root: str,
                  sbd_root: Optional[str],
                  workers: int = 0) -> Tuple[dict, Counter, List[str]]:
    """Convert a split: (COCO dict, counts, skipped-item messages)."""
    from mmengine.utils import track_parallel_progress, track_progress
    job = partial(convert_image, voc_root=voc_root, sbd_root=sbd_root)
    if workers > 0:
        results = track_parallel_progress(job, tasks, workers, chunksize=16)
    else:
        results = track_progress(job, tasks)
    images, anns, skipped = [], [], []
    counts = Counter()
    for (stem, source), (_, rec) in zip(tasks, results):
        if isinstance(rec, str):
            skipped.append(f'{stem} ({source}): {rec}')
            continue
        image_id = len(images) + 1
        images.append({
            'id': image_id,
            'file_name': stem + '.jpg',
            'width': rec['width'],
            'height': rec['height']
        })
        counts[f'images from {source.upper()}'] += 1
        counts['images without instances'] += not rec['anns']
        for ann in rec['anns']:  # ids in split order
            ann.update(id=len(anns) + 1, image_id=image_id)
            anns.append(ann)
    counts['images'], counts['instances'] = len(images), len(anns)
    counts['skipped images'] = len(skipped)
    categories = [{
        'id': i + 1,
        'name': n,
        'supercategory': 'none'
    } for i, n in enumerate(VOC_CLASSES)]
    coco = {'images': images, 'annotations': anns, 'categories': categories}
    return coco, counts, skipped


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--voc-root', required=True, help='VOCdevkit/VOC2012 folder')
    parser.add_argument(
        '--sbd-root', help='SBD "dataset" folder (needed for train_aug)')
    parser.add_argument(
        '--out-dir',
        required=True,
        help='where voc_2012_<split>.json are written')
    parser.add_argument(
        '--splits', nargs='+', choices=SPLITS, default=list(SPLITS))
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='worker processes (default 0: this process)')
    return parser.parse_args(argv)


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict[str, Counter]:
    """Convert the requested splits; returns the counts per split."""
    args = parse_args(argv)
    for sub in ('JPEGImages', 'SegmentationObject', 'SegmentationClass'):
        _require(osp.join(args.voc_root, sub), 'VOC 2012 folder')
    if 'train_aug' in args.splits:
        if not args.sbd_root:
            raise SystemExit('error: train_aug needs --sbd-root')
        _require(osp.join(args.sbd_root, 'inst'), 'SBD instance .mat files')
    plans = {
        s: split_tasks(args.voc_root, args.sbd_root, s)
        for s in args.splits
    }  # check every list before the long work
    check_dir(args.out_dir, '--out-dir')
    outs = {s: osp.join(args.out_dir, f'voc_2012_{s}.json') for s in plans}
    for out in outs.values():
        check_out_file(out, 'the output')
    make_dir(args.out_dir, '--out-dir')
    report = {}
    for split, tasks in plans.items():
        print(f'{split}: converting {len(tasks)} images')
        coco, counts, skipped = convert_split(tasks, args.voc_root,
                                              args.sbd_root, args.workers)
        for msg in skipped[:20]:
            print(f'skipped {msg}')
        if len(skipped) > 20:
            print(f'... and {len(skipped) - 20} more skipped images')
        if tasks and not coco['images']:
            raise SystemExit(
                f'error: {split}: all {len(tasks)} images were skipped '
                f'({skipped[0] if skipped else "no instances"}); check '
                '--voc-root / --sbd-root; nothing was written')
        out = outs[split]
        with open(out, 'w') as f:
            json.dump(coco, f, separators=(',', ':'))
        print(f'{split}: ' + ', '.join(f'{k} {v}'
                                       for k, v in sorted(counts.items())) +
              f' -> {out}')
        report[split] = counts
    return report


if __name__ == '__main__':
    main(sys.argv[1:])
