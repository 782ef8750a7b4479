"""Tiny on-disk data sets for the segmentor's data tests (written to tmp),
and the log file in which a data set's skips are read."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils


def write_salient(root,
                  names,
                  size=(40, 50),
                  img_dir='images',
                  mask_dir='masks',
                  img_suffix='.jpg',
                  mask_suffix='.png'):
    """Images + 0/255 masks (a rectangle) named ``names``; returns root."""
    h, w = size
    os.makedirs(osp.join(root, img_dir), exist_ok=True)
    os.makedirs(osp.join(root, mask_dir), exist_ok=True)
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
        mask = np.zeros((h, w), np.uint8)
        mask[5 + i % 5:h - 5, 8:w - 8 - i % 7] = 255
        cv2.imwrite(osp.join(root, img_dir, name + img_suffix), img)
        cv2.imwrite(osp.join(root, mask_dir, name + mask_suffix), mask)
    return str(root)


def full_mask(h, w, x0, y0, x1, y1):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def write_coco(root, ann_name='annotations.json'):
    """3 images (``images/*.jpg``), 8 annotations of which 5 are usable.

    ==== ===== ============================== ==========================
    ann  image bbox (xywh)                    kept?
    ==== ===== ============================== ==========================
    1    1     [4, 6, 20, 10]                 yes, cat 1, RLE mask
    2    1     [30, 2, 15.5, 25]              yes, cat 3, polygon
    3    1     [0, 0, 10, 10], iscrowd=1      no (crowd)
    4    2     [5, 5, 0, 8]                   no (w <= 0)
    5    2     [10, 10, 12, 9]                yes, cat 1
    6    2     [70, 10, 5, 5]                 no (outside, image w = 60)
    7    3     [1, 1, 30, 20]                 yes, cat 3
    8    3     [2, 3, 4, 5], image_id 99      no (unknown image)
    9    3     [3, 2, 8, 8]                   yes, cat 1
    ==== ===== ============================== ==========================

    Every usable annotation has a mask: ann 1 is uncompressed RLE of its box
    region plus a 2-pixel tail outside the box.

    Returns:
        (str, str): data root and annotation file name.
    """
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    sizes = {1: (40, 60), 2: (40, 60), 3: (32, 48)}
    images = []
    rng = np.random.default_rng(1)
    for img_id, (h, w) in sizes.items():
        name = f'images/{img_id:03d}.jpg'
        cv2.imwrite(
            osp.join(root, name),
            rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        images.append(dict(id=img_id, file_name=name, height=h, width=w))

    m1 = full_mask(40, 60, 4, 6, 24, 16)
    m1[30, 40:42] = 1  # outside the box
    # uncompressed RLE: run lengths in column-major order
    flat = m1.flatten(order='F')
    change = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    if flat[0] == 1:
        runs = [0] + runs
    assert mask_utils.area(
        mask_utils.frPyObjects(dict(size=[40, 60], counts=runs), 40,
                               60)) == 202

    def ann(ann_id, image_id, category_id, bbox, iscrowd=0, mask=None):
        """An annotation; its mask is the polygon of its box unless given."""
        x, y, w, h = bbox
        return dict(
            id=ann_id,
            image_id=image_id,
            category_id=category_id,
            bbox=bbox,
            iscrowd=iscrowd,
            segmentation=mask or [[x, y, x + w, y, x + w, y + h, x, y + h]])

    anns = [
        ann(1, 1, 1, [4, 6, 20, 10], mask=dict(size=[40, 60], counts=runs)),
        ann(2, 1, 3, [30, 2, 15.5, 25]),
        ann(3, 1, 1, [0, 0, 10, 10], iscrowd=1),
        ann(4, 2, 1, [5, 5, 0, 8]),
        ann(5, 2, 1, [10, 10, 12, 9]),
        ann(6, 2, 1, [70, 10, 5, 5]),
        ann(7, 3, 3, [1, 1, 30, 20]),
        ann(8, 99, 1, [2, 3, 4, 5]),
        ann(9, 3, 1, [3, 2, 8, 8]),
    ]
    cats = [dict(id=3, name='dog'), dict(id=1, name='person')]
    with open(osp.join(root, ann_name), 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=cats), f)
    return str(root), ann_name


def logger_file(tmp_path, name):
    """Make the MMLogger ``name`` with a log file; returns the file."""
    log_file = tmp_path / f'{name}.log'
    MMLogger.get_instance(name, log_file=str(log_file))
    return log_file


def tiny_cpu_options(box_root, ann, sal_root, loaders=('train', 'val')):
    """``--cfg-options`` that point the CPU segmentor config at the tiny sets.

    The box set reads ``box_root`` / ``ann``; every salient set of the config
    (davis345, sod204) reads ``sal_root``, so nothing of ``../shared`` is
    used; ``val`` / ``test`` predict the box set; no loader workers.
    """
    opts = [
        f'train_dataloader.dataset.datasets.0.data_root={box_root}',
        f'train_dataloader.dataset.datasets.0.ann_file={ann}',
        f'train_dataloader.dataset.datasets.1.data_root={sal_root}',
        f'train_dataloader.dataset.datasets.2.data_root={sal_root}',
    ]
    for split in loaders:
        if split != 'train':
            opts += [
                f'{split}_dataloader.dataset.data_root={box_root}',
                f'{split}_dataloader.dataset.ann_file={ann}'
            ]
        opts += [
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    return opts
