"""DUTS-TR -> DUTS-Single: keep the images whose mask holds one object.

    python tools/dataset_converters/duts_single.py data/DUTS/DUTS-TR \\
        --out data/DUTS/duts_single.txt [--link-dir data/DUTS/DUTS-Single]

Expected layout (as unpacked from DUTS-TR.zip)::

    DUTS_TR_ROOT/DUTS-TR-Image/*.jpg
    DUTS_TR_ROOT/DUTS-TR-Mask/*.png     same stem, 0/255 (> 127 = object)

An image is kept when its mask has exactly one 8-connected component of at
least ``--min-area-ratio`` of the image area; smaller specks are ignored.
Rejected: several such components, none (empty: blank or only specks), a
missing or unreadable mask or image, image and mask of different sizes. The
kept stems are written one a line to ``--out``; ``--link-dir`` also builds a
DUTS-style folder of symlinks (``--copy``: copies) to the kept pairs.

The BoxCaseg authors' DUTS-Single list keeps 7,991 of the 10,553 DUTS-TR
images; their selection rule is not published, so this filter's count
differs (tune --min-area-ratio).
"""
import argparse
import filecmp
import os
import os.path as osp
import shutil
import sys
from collections import Counter
from functools import partial
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image

from mmboxcaseg.utils import (check_dir, check_out_file, exit_on_user_error,
                              make_dir)

IMAGE_DIR = 'DUTS-TR-Image'
MASK_DIR = 'DUTS-TR-Mask'
KEPT = 'kept'
REASONS = ('multiple components', 'empty', 'unreadable', 'missing mask',
           'size mismatch')


def count_objects(mask: np.ndarray, min_area_ratio: float) -> int:
    """Objects in a mask: 8-connected components of ``mask > 127`` with at
    least ``min_area_ratio * H * W`` pixels.

    Args:
        mask (np.ndarray): (H, W) uint8 mask.
        min_area_ratio (float): smallest component, as a share of the image.
    """
    binary = (mask > 127).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]  # row 0 is the background
    return int((areas >= min_area_ratio * mask.size).sum())


def classify(stem: str, root: str,
             min_area_ratio: float) -> Tuple[str, str, str]:
    """Decide one image: ``(stem, 'kept' or a REASON, detail)``."""
    img_path = osp.join(root, IMAGE_DIR, stem + '.jpg')
    mask_path = osp.join(root, MASK_DIR, stem + '.png')
    if not osp.isfile(mask_path):
        return stem, 'missing mask', mask_path
    mask = cv2.imread(mask_path, cv2.IMREAD_GRAYSCALE)
    if mask is None:
        return stem, 'unreadable', mask_path
    try:
        with Image.open(img_path) as img:
            width, height = img.size
    except OSError:
        return stem, 'unreadable', img_path
    if (height, width) != mask.shape:
        return stem, 'size mismatch', (f'{img_path} is {width}x{height}, '
                                       f'{mask_path} is {mask.shape[1]}x'
                                       f'{mask.shape[0]}')
    n = count_objects(mask, min_area_ratio)
    if n == 0:
        return stem, 'empty', mask_path
    return stem, KEPT if n == 1 else 'multiple components', mask_path


def _check_layout(root: str) -> List[str]:
    """Stems of the images, or SystemExit naming what is missing."""
    if not osp.isdir(root):
        raise SystemExit(f'error: DUTS-TR root {root} is not a directory')
    for sub in (IMAGE_DIR, MASK_DIR):
        if not osp.isdir(osp.join(root, sub)):
            raise SystemExit(
                f'error: {osp.join(root, sub)} is missing; expected '
                f'{root}/{IMAGE_DIR}/*.jpg and {root}/{MASK_DIR}/*.png')
    stems = sorted(f[:-4] for f in os.listdir(osp.join(root, IMAGE_DIR))
                   if f.lower().endswith('.jpg'))
    if not stems:
        raise SystemExit(
            f'error: no .jpg image in {osp.join(root, IMAGE_DIR)}')
    return stems


def _place(src: str, dst: str, copy: bool) -> None:
    """Symlink (or copy) ``src`` to ``dst``; an existing link is replaced,
    an existing identical file kept, any other file is an error."""
    if osp.islink(dst):
        os.remove(dst)
    elif osp.exists(dst):
        if filecmp.cmp(src, dst, shallow=False):
            return
        raise SystemExit(f'error: {dst} exists and differs from {src}; '
                         f'refusing to overwrite it')
    if copy:
        shutil.copyfile(src, dst)
    else:
        os.symlink(osp.realpath(src), dst)


def link_pairs(stems: List[str],
               root: str,
               link_dir: str,
               copy: bool = False) -> None:
    """Build ``link_dir/DUTS-TR-Image`` and ``link_dir/DUTS-TR-Mask`` with
    the kept pairs."""
    link, src = osp.realpath(link_dir), osp.realpath(root)
    if link == src or link.startswith(src + os.sep):
        raise SystemExit(f'error: --link-dir {link_dir} is inside the input '
                         f'root {root}; choose a folder outside it')
    for sub, ext in ((IMAGE_DIR, '.jpg'), (MASK_DIR, '.png')):
        make_dir(osp.join(link_dir, sub), '--link-dir folder')
        for stem in stems:
            _place(
                osp.join(root, sub, stem + ext),
                osp.join(link_dir, sub, stem + ext), copy)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='DUTS-TR root (holds DUTS-TR-Image/)')
    parser.add_argument(
        '--out',
        required=True,
        help='text file for the kept stems, one a line')
    parser.add_argument(
        '--min-area-ratio',
        type=float,
        default=0.005,
        help='components smaller than this share of the image are specks '
        'and ignored (default 0.005)')
    parser.add_argument(
        '--link-dir',
        help='also build a DUTS-style folder of the kept '
        'image/mask pairs here')
    parser.add_argument(
        '--copy',
        action='store_true',
        help='with --link-dir: copy files, not symlinks')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='worker processes (default 0: this process)')
    return parser.parse_args(argv)


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> Dict[str, int]:
    """Run the filter; returns the counts (``total``, ``kept``, reasons)."""
    from mmengine.utils import track_parallel_progress, track_progress
    args = parse_args(argv)
    if not 0 <= args.min_area_ratio < 1:
        raise SystemExit('error: --min-area-ratio must be in [0, 1)')
    stems = _check_layout(args.root)
    if args.link_dir:
        link, src = osp.realpath(args.link_dir), osp.realpath(args.root)
        if link == src or link.startswith(src + os.sep):
            raise SystemExit(f'error: --link-dir {args.link_dir} is inside '
                             f'the input root {args.root}; choose a folder '
                             'outside it')
        check_dir(args.link_dir, '--link-dir')
    check_out_file(args.out, '--out')
    out_dir = osp.realpath(osp.dirname(osp.abspath(args.out)))
    if out_dir in (osp.realpath(osp.join(args.root, s))
                   for s in (IMAGE_DIR, MASK_DIR)):
        raise SystemExit(f'error: --out {args.out} is inside the input '
                         f'folders; write the list elsewhere')
    job = partial(classify, root=args.root, min_area_ratio=args.min_area_ratio)
    if args.workers > 0:
        results = track_parallel_progress(
            job, stems, args.workers, chunksize=32)
    else:
        results = track_progress(job, stems)

    counts = Counter(reason for _, reason, _ in results)
    kept = [stem for stem, reason, _ in results if reason == KEPT]
    problems = [(r, d) for _, r, d in results
                if r in ('unreadable', 'missing mask', 'size mismatch')]
    for reason, detail in problems[:20]:
        print(f'skipped ({reason}): {detail}')
    if len(problems) > 20:
        print(f'... and {len(problems) - 20} more problem files')

    summary = {'total': len(stems), KEPT: len(kept)}
    summary.update({reason: counts.get(reason, 0) for reason in REASONS})
    rejected = ', '.join(f'{reason} {summary[reason]}' for reason in REASONS)
    if not kept:  # as the VOC converter: an empty list is no result
        raise SystemExit(f'error: none of the {len(stems)} images of '
                         f'{args.root} was kept (rejected: {rejected}); '
                         'check the folders and --min-area-ratio; nothing '
                         'was written')
    os.makedirs(out_dir, exist_ok=True)
    with open(args.out, 'w') as f:
        f.writelines(stem + '\n' for stem in kept)
    if args.link_dir:
        link_pairs(kept, args.root, args.link_dir, args.copy)

    print(f'DUTS-Single: kept {len(kept)} of {len(stems)} images '
          f'(the authors\' list: 7,991 of 10,553); rejected: {rejected}')
    print(f'list written to {args.out}' +
          (f'; pairs in {args.link_dir}' if args.link_dir else ''))
    return summary


if __name__ == '__main__':
    main(sys.argv[1:])
