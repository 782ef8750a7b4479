"""coco128-seg (YOLO polygon labels, unpacked) -> COCO json with RLE masks.

    python tools/dataset_converters/coco128_seg.py SRC_DIR --out data/coco128

``SRC_DIR`` is the unpacked coco128-seg.zip: the ``coco128-seg`` folder or
the folder holding it::

    coco128-seg/images/train2017/<stem>.jpg
    coco128-seg/labels/train2017/<stem>.txt   a line per instance:
                                              class x1 y1 x2 y2 ... (0..1)

Writes ``OUT/images/<stem>.jpg`` (the longer side at most ``--max-side``) and
``OUT/annotations.json``: one annotation per label line, the polygon
rasterised at the written size (RLE), tight xywh box with pixel edges,
``area`` = mask pixels, the 80 COCO categories with their COCO ids and names
(YOLO class ``c`` is the ``c``-th of them), ``file_name`` relative to
``OUT``. Images without a label file (or with an empty one) are left out.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

import mmcv
import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from coco_images import (downscale, parse_converter_args,  # noqa: E402
                         write_image, write_json)

from mmboxcaseg.structures import masks_to_coco_annotations  # noqa: E402

COCO_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20,
            21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39,
            40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56,
            57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76,
            77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90)


def coco_categories() -> List[dict]:
    """The 80 COCO categories (ids and names), in YOLO class order."""
    from mmdet.datasets import CocoDataset
    names = CocoDataset.METAINFO['classes']
    return [{'id': i, 'name': n} for i, n in zip(COCO_IDS, names)]


def find_root(src: str) -> str:
    """The folder holding ``images/train2017`` and ``labels/train2017``."""
    for root in (src, osp.join(src, 'coco128-seg')):
        if all(
                osp.isdir(osp.join(root, d, 'train2017'))
                for d in ('images', 'labels')):
            return root
    raise SystemExit(f'error: {src} has no images/train2017/ and '
                     'labels/train2017/ (nor coco128-seg/ holding them); '
                     'give the unpacked coco128-seg.zip')


def polygon_masks(label_file: str, width: int,
                  height: int) -> Tuple[np.ndarray, np.ndarray]:
    """(N, H, W) bool masks and (N,) YOLO classes of a label file."""
    masks, classes = [], []
    with open(label_file) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 7 or len(parts) % 2 == 0:
                raise SystemExit(f'error: {label_file} line {n}: expected '
                                 '"class x1 y1 x2 y2 x3 y3 ...", got '
                                 f'{len(parts)} fields')
            try:
                cls = int(parts[0])
                xy = np.array(parts[1:], float).reshape(-1, 2)
            except ValueError:
                raise SystemExit(f'error: {label_file} line {n}: not '
                                 'numbers') from None
            if not 0 <= cls < len(COCO_IDS):
                raise SystemExit(f'error: {label_file} line {n}: class '
                                 f'{cls} is not in 0..79')
            poly = (xy * [width, height]).reshape(-1).tolist()
            rle = mask_utils.merge(
                mask_utils.frPyObjects([poly], height, width))
            masks.append(mask_utils.decode(rle).astype(bool))
            classes.append(cls)
    if not masks:
        return np.zeros((0, height, width), bool), np.zeros(0, int)
    return np.stack(masks), np.array(classes)


def convert(src: str, out: str, max_side: int = 480) -> dict:
    """Write the images and ``annotations.json``; returns the json."""
    root = find_root(src)
    img_dir = osp.join(root, 'images', 'train2017')
    stems = sorted(
        osp.splitext(n)[0] for n in os.listdir(img_dir)
        if n.lower().endswith('.jpg'))
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    images, anns, unlabelled = [], [], 0
    for stem in stems:
        label_file = osp.join(root, 'labels', 'train2017', stem + '.txt')
        if not osp.isfile(label_file):
            unlabelled += 1
            continue
        img = mmcv.imread(osp.join(img_dir, stem + '.jpg'))
        if img is None:
            raise SystemExit(f'error: {img_dir}/{stem}.jpg is not a '
                             'readable image')
        img = downscale(img, max_side)
        height, width = img.shape[:2]
        masks, classes = polygon_masks(label_file, width, height)
        if not len(masks):
            unlabelled += 1
            continue
        image_id = len(images) + 1
        images.append(write_image(img, out, stem, image_id))
        cats = [COCO_IDS[c] for c in classes]
        anns += masks_to_coco_annotations(masks, cats, image_id,
                                          len(anns) + 1)
    coco = {
        'images': images,
        'annotations': anns,
        'categories': coco_categories()
    }
    write_json(coco, osp.join(out, 'annotations.json'))
    print(f'{len(images)} images, {len(anns)} instances '
          f'({unlabelled} images without labels left out)')
    return coco


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    return parse_converter_args(__doc__, 'unpacked coco128-seg.zip',
                                'e.g. data/coco128', argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    return convert(args.src, args.out, args.max_side)


if __name__ == '__main__':
    main(sys.argv[1:])
