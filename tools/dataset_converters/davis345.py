"""DAVIS-345 (interactive-segmentation release) -> ``OUT/images/NNN.jpg`` +
``OUT/masks/NNN.png`` (0/255), the layout of the configs' ``data/davis345``.

    python tools/dataset_converters/davis345.py data/downloads/DAVIS \\
        --out data/davis345 [--max-side 480] [--overwrite]

Input: ``DAVIS.zip`` of the f-BRS / RITM interactive-segmentation
benchmarks (345 images, one object each), unpacked; SRC_DIR is the folder
holding ``img/`` and ``gt/`` (or the folder above it, ``DAVIS/``)::

    SRC_DIR/img/<name>.jpg     image
    SRC_DIR/gt/<name>.png      its object mask, paired by name

Every pair is kept (the team copy keeps all 345). Output names are the
position of the image among all images sorted by name (000, 001, ...);
``prepare_report.json`` maps them back to the source names. A mask pixel is
object above half the mask's largest value; images are downscaled so the
longer side is at most ``--max-side`` (0: original size), masks by nearest
neighbour. Skipped and counted: an image without mask, a mask without
image, an unreadable file, image and mask of different sizes, an empty
mask. Nothing is written when no pair is kept.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from salient_pairs import (IMAGE_EXTS, convert_pairs,  # noqa: E402
                           parse_output_args)

from mmboxcaseg.utils import UserError, exit_on_user_error  # noqa: E402


def find_root(src: str) -> str:
    """The folder holding ``img/`` and ``gt/``: ``src`` or ``src/DAVIS``."""
    for root in (src, osp.join(src, 'DAVIS')):
        if all(osp.isdir(osp.join(root, d)) for d in ('img', 'gt')):
            return root
    raise UserError(f'{src} holds no img/ and gt/ folders (nor DAVIS/img, '
                    'DAVIS/gt); give the unpacked DAVIS.zip')


def _by_stem(folder: str) -> dict:
    files = sorted(f for f in os.listdir(folder)
                   if f.lower().endswith(IMAGE_EXTS))
    stems = {}
    for f in files:
        stems.setdefault(osp.splitext(f)[0], osp.join(folder, f))
    return stems


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='unpacked DAVIS.zip (holds img/, gt/)')
    return parse_output_args(parser, argv)


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    """Convert; returns the report (``kept``, ``skipped`` counts, ...)."""
    args = parse_args(argv)
    root = find_root(args.src)
    images = _by_stem(osp.join(root, 'img'))
    masks = _by_stem(osp.join(root, 'gt'))
    width = max(3, len(str(len(images) - 1)))
    pairs, skipped = [], dict(no_mask=[], no_image=[])
    for i, (stem, img) in enumerate(sorted(images.items())):
        if stem in masks:
            pairs.append((stem, f'{i:0{width}d}', img, masks[stem]))
        else:
            skipped['no_mask'].append(
                (stem, f'{img} has no mask in {osp.join(root, "gt")}'))
    for stem in sorted(set(masks) - set(images)):
        skipped['no_image'].append(
            (stem, f'{masks[stem]} has no image in {osp.join(root, "img")}'))
    return convert_pairs('DAVIS-345', pairs, skipped, args.out, [args.src],
                         args.max_side, args.overwrite)


if __name__ == '__main__':
    main(sys.argv[1:])
