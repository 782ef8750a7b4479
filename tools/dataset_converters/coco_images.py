"""What ``coco128_seg.py`` and ``pennfudan.py`` share: both turn a public
download into ``OUT/images/<stem>.jpg`` (downscaled) and a compact COCO
json with RLE masks; this module reads their command line, downscales and
writes an image with its COCO entry, and writes a json."""
import argparse
import json
import os.path as osp
from typing import List, Optional

import mmcv
import numpy as np


def parse_converter_args(doc: str,
                         src_help: str,
                         out_help: str,
                         argv: Optional[List[str]] = None
                         ) -> argparse.Namespace:
    """``src``, ``--out`` and ``--max-side`` of a converter (``doc``: its
    module docstring)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help=src_help)
    parser.add_argument('--out', required=True, help=out_help)
    parser.add_argument(
        '--max-side',
        type=int,
        default=480,
        help='downscale so the longer side is at most this (0: keep)')
    return parser.parse_args(argv)


def downscale(img: np.ndarray, max_side: int) -> np.ndarray:
    """``img`` with its longer side at most ``max_side`` (area
    interpolation); unchanged when ``max_side`` is 0 or not exceeded."""
    if 0 < max_side < max(img.shape[:2]):
        return mmcv.imrescale(
            img, (max_side, max_side), interpolation='area')
    return img


def write_image(img: np.ndarray, out: str, stem: str, image_id: int) -> dict:
    """Write ``img`` as ``out/images/<stem>.jpg``; returns its COCO image
    entry (``file_name`` relative to ``out``)."""
    mmcv.imwrite(img, osp.join(out, 'images', stem + '.jpg'))
    return {
        'id': image_id,
        'file_name': f'images/{stem}.jpg',
        'height': int(img.shape[0]),
        'width': int(img.shape[1])
    }


def write_json(coco: dict, path: str) -> None:
    """Write ``coco`` without spaces (the masks make it large)."""
    with open(path, 'w') as f:
        json.dump(coco, f, separators=(',', ':'))
