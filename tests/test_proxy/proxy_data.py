"""Tiny COCO data sets made in ``tmp_path`` for the proxy-mask tests."""
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils


def rle_of(mask: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': list(r['size']), 'counts': r['counts'].decode()}


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE (column-major runs, starting with zeros)."""
    flat = mask.flatten(order='F').astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs
    return {'size': list(mask.shape), 'counts': runs}


def decode(rle: dict) -> np.ndarray:
    return mask_utils.decode([rle])[:, :, 0].astype(bool)


def write_image(path, h, w, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 50, (h, w, 3), dtype=np.uint8)
    img[h // 4:3 * h // 4, w // 4:3 * w // 4] = 220  # a bright object
    assert cv2.imwrite(str(path), img)


def base_coco():
    """Three images, six annotations (one crowd), unusual key orders.

    Image 1 (12 x 16): ann 3 box cols 1..8 rows 1..6 and ann 5 box cols
    4..7 rows 2..5 overlap (5 is smaller); crowd ann 7.
    Image 2 (10 x 10): ann 10 box 2..5 x 2..5 whose GT is its left half
    (IoU 0.5 with box fill) and ann 2 with the whole image as box and GT
    (IoU 1).
    Image 3 (8 x 8): ann 8, GT a polygon equal to its box.
    """
    h2 = np.zeros((10, 10), bool)
    h2[2:6, 2:4] = True
    full = np.ones((10, 10), bool)
    crowd = np.zeros((12, 16), bool)
    crowd[8:11, 10:15] = True
    crowd_rle = uncompressed_rle(crowd)

    def ann(ann_id, image_id, category_id, iscrowd, bbox, segmentation):
        return {
            'id': ann_id,
            'image_id': image_id,
            'category_id': category_id,
            'iscrowd': iscrowd,
            'bbox': bbox,
            'segmentation': segmentation
        }

    return {
        'info': {
            'description': 'tiny',
            'version': '1'
        },
        'categories': [{
            'id': 1,
            'name': 'a'
        }, {
            'id': 2,
            'name': 'b'
        }],
        'images': [
            {
                'file_name': 'a.png',
                'id': 1,
                'height': 12,
                'width': 16,
                'license': 3
            },
            {
                'id': 2,
                'width': 10,
                'height': 10,
                'file_name': 'sub/b.png'
            },
            {
                'id': 3,
                'file_name': 'c.png',
                'height': 8,
                'width': 8
            },
        ],
        'annotations': [
            {
                'id': 10,
                'image_id': 2,
                'category_id': 1,
                'bbox': [2, 2, 4, 4],
                'area': 8.0,
                'iscrowd': 0,
                'segmentation': rle_of(h2)
            },
            {
                'bbox': [1, 1, 8, 6],
                'id': 3,
                'image_id': 1,
                'category_id': 2,
                'iscrowd': 0,
                'note': 'kept',
                'segmentation': [[1, 1, 9, 1, 9, 7, 1, 7]]
            },
            ann(7, 1, 1, 1, [10, 8, 5, 3], crowd_rle),
            ann(5, 1, 1, 0, [4, 2, 4, 4], []),
            ann(8, 3, 2, 0, [1.5, 2.0, 4.0, 3.5], [[1, 2, 6, 2, 6, 6, 1, 6]]),
            ann(2, 2, 2, 0, [0, 0, 10, 10], rle_of(full)),
        ],
        'licenses': [{
            'id': 3,
            'name': 'x'
        }],
    }


def make_dataset(root, coco=None, sizes=None):
    """Write images and ``ann.json`` under ``root``; returns paths."""
    coco = base_coco() if coco is None else coco
    sizes = sizes or {}
    for k, img in enumerate(coco['images']):
        if 'file_name' not in img or img.get('id') in sizes.get('skip', ()):
            continue
        h, w = sizes.get(img.get('id'), (img.get('height'), img.get('width')))
        write_image(root / 'imgs' / img['file_name'], h, w, seed=k)
    ann = root / 'ann.json'
    ann.write_text(json.dumps(coco, indent=1))
    return ann, root / 'imgs'
