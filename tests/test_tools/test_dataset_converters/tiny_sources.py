"""Tiny stand-ins for the unpacked PennFudanPed.zip and coco128-seg.zip,
with numbers that are easy to compute by hand."""
import os
import os.path as osp
import zipfile

import cv2
import numpy as np

# PennFudan-like: 6 images of 30x40 (h x w); image i has i % 2 + 1
# pedestrians, pedestrian k a rectangle of rows 2..21, columns 4k-3..4k
PENN_STEMS = [f'FudanPed{i:05d}' for i in range(1, 6)] + ['PennPed00001']
PENN_H, PENN_W = 30, 40


def penn_rect(k):
    """(y0, y1, x0, x1) of pedestrian k, end exclusive: 20 rows x 4 columns
    -> box [4k - 3, 2, 4, 20], area 80."""
    return 2, 22, 4 * k - 3, 4 * k + 1


def make_pennfudan(root):
    """Write ``root/PennFudanPed``; returns its path."""
    base = osp.join(str(root), 'PennFudanPed')
    os.makedirs(osp.join(base, 'PNGImages'))
    os.makedirs(osp.join(base, 'PedMasks'))
    for i, stem in enumerate(PENN_STEMS):
        ids = np.zeros((PENN_H, PENN_W), np.uint8)
        for k in range(1, i % 2 + 2):
            y0, y1, x0, x1 = penn_rect(k)
            ids[y0:y1, x0:x1] = k
        img = np.full((PENN_H, PENN_W, 3), 40 * i, np.uint8)
        cv2.imwrite(osp.join(base, 'PNGImages', stem + '.png'), img)
        cv2.imwrite(osp.join(base, 'PedMasks', stem + '_mask.png'), ids)
    return base


# coco128-seg-like: 'a' (40x40) one square person, 'b' (40x80) a person
# and a toothbrush, 'c' without a label file
COCO_LABELS = {
    'a': '0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n',
    'b': ('0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n'
          '79 0 0 0.5 0 0.5 0.5 0 0.5\n'),
}
COCO_SIZES = {'a': (40, 40), 'b': (40, 80), 'c': (40, 40)}


def make_coco128_seg(root):
    """Write ``root/coco128-seg``; returns its path."""
    base = osp.join(str(root), 'coco128-seg')
    os.makedirs(osp.join(base, 'images', 'train2017'))
    os.makedirs(osp.join(base, 'labels', 'train2017'))
    for stem, (h, w) in COCO_SIZES.items():
        cv2.imwrite(
            osp.join(base, 'images', 'train2017', stem + '.jpg'),
            np.full((h, w, 3), 128, np.uint8))
        if stem in COCO_LABELS:
            with open(osp.join(base, 'labels', 'train2017', stem + '.txt'),
                      'w') as f:
                f.write(COCO_LABELS[stem])
    return base


def zip_tree(folder, zip_path):
    """Zip ``folder`` with paths starting at its own name (as the real
    archives are)."""
    parent = osp.dirname(folder)
    with zipfile.ZipFile(zip_path, 'w') as z:
        for dirpath, _, files in os.walk(folder):
            for name in sorted(files):
                path = osp.join(dirpath, name)
                z.write(path, osp.relpath(path, parent))
    return zip_path
