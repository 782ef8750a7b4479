"""Penn-Fudan pedestrians (PennFudanPed.zip, unpacked) -> COCO json.

    python tools/dataset_converters/pennfudan.py SRC_DIR --out data/pennfudan

``SRC_DIR`` is the unpacked download: the ``PennFudanPed`` folder or the
folder holding it::

    PennFudanPed/PNGImages/<stem>.png
    PennFudanPed/PedMasks/<stem>_mask.png     instance ids, 0 = background

Writes ``OUT/images/<stem>.jpg`` (the longer side at most ``--max-side``) and
``OUT/annotations_{all,train,val}.json``: instance ``k`` of an image is
``mask == k`` (``ped_id`` k), one class ``pedestrian`` (id 1), RLE masks,
tight xywh boxes with pixel edges, ``area`` = mask pixels, ``file_name``
relative to ``OUT``. Image ids follow the sorted stems (1, 2, ...) in every
file; the fixed split puts every 5th image (index 0, 5, 10, ... of the sorted
stems) in val and the rest in train.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import mmcv
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from coco_images import (downscale, parse_converter_args,  # noqa: E402
                         write_image, write_json)

from mmboxcaseg.structures import masks_to_coco_annotations  # noqa: E402

CATEGORIES = [{'id': 1, 'name': 'pedestrian', 'supercategory': 'pedestrian'}]
VAL_EVERY = 5


def find_root(src: str) -> str:
    """The folder holding ``PNGImages`` and ``PedMasks`` in ``src``."""
    for root in (src, osp.join(src, 'PennFudanPed')):
        if all(osp.isdir(osp.join(root, d)) for d in ('PNGImages',
                                                      'PedMasks')):
            return root
    raise SystemExit(f'error: {src} has no PNGImages/ and PedMasks/ '
                     '(nor PennFudanPed/ holding them); give the unpacked '
                     'PennFudanPed.zip')


def convert(src: str, out: str, max_side: int = 480) -> Dict[str, dict]:
    """Write the images and the three json files; returns them by split."""
    root = find_root(src)
    stems = sorted(
        osp.splitext(n)[0] for n in os.listdir(osp.join(root, 'PNGImages'))
        if n.lower().endswith('.png'))
    if not stems:
        raise SystemExit(f'error: {root}/PNGImages has no .png image')
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    images, anns = [], []
    for idx, stem in enumerate(stems):
        img_path = osp.join(root, 'PNGImages', stem + '.png')
        mask_path = osp.join(root, 'PedMasks', stem + '_mask.png')
        if not osp.isfile(mask_path):
            raise SystemExit(f'error: {mask_path} is missing (mask of '
                             f'{img_path})')
        img = mmcv.imread(img_path)
        ids = mmcv.imread(mask_path, flag='unchanged')
        if img is None or ids is None:
            bad = img_path if img is None else mask_path
            raise SystemExit(f'error: {bad} is not a readable image')
        if ids.ndim == 3:
            ids = ids[..., 0]
        if ids.shape != img.shape[:2]:
            raise SystemExit(f'error: {mask_path} is {ids.shape[1]}x'
                             f'{ids.shape[0]} but {img_path} is '
                             f'{img.shape[1]}x{img.shape[0]}')
        img = downscale(img, max_side)
        if img.shape[:2] != ids.shape:
            ids = mmcv.imresize(
                ids, img.shape[1::-1], interpolation='nearest')
        image_id = idx + 1
        images.append(write_image(img, out, stem, image_id))
        ped_ids = [int(k) for k in np.unique(ids) if k > 0]
        masks = ids[None] == np.array(ped_ids).reshape(-1, 1, 1)
        for ann, ped_id in zip(
                masks_to_coco_annotations(masks, [1] * len(ped_ids),
                                          image_id,
                                          len(anns) + 1), ped_ids):
            ann['ped_id'] = ped_id
            anns.append(ann)
    val_ids = {i + 1 for i in range(len(stems)) if i % VAL_EVERY == 0}
    splits = {
        'all': lambda i: True,
        'train': lambda i: i not in val_ids,
        'val': lambda i: i in val_ids
    }
    result = {}
    for split, keep in splits.items():
        coco = {
            'info': {
                'description': 'Penn-Fudan pedestrians, split '
                f'{split} (every {VAL_EVERY}th sorted image is val)'
            },
            'licenses': [],
            'images': [im for im in images if keep(im['id'])],
            'annotations': [a for a in anns if keep(a['image_id'])],
            'categories': CATEGORIES
        }
        write_json(coco, osp.join(out, f'annotations_{split}.json'))
        print(f'{split}: {len(coco["images"])} images, '
              f'{len(coco["annotations"])} instances')
        result[split] = coco
    return result


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    return parse_converter_args(__doc__, 'unpacked PennFudanPed.zip',
                                'e.g. data/pennfudan', argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, dict]:
    args = parse_args(argv)
    return convert(args.src, args.out, args.max_side)


if __name__ == '__main__':
    main(sys.argv[1:])
