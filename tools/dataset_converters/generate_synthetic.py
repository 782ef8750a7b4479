"""Write the seeded synthetic data set of the no-download demo.

    python tools/dataset_converters/generate_synthetic.py --out data/synthetic

writes ``salient/images|masks`` (DUTS-TR stand-in), ``scenes/images`` and
``scenes/annotations.json`` / ``scenes/annotations_val.json`` (COCO boxes,
with the hidden exact masks as RLE, for measuring quality only), then prints
the box-fill baseline on the scenes (the score a mask filling each box gets).
See :mod:`mmboxcaseg.datasets.synthetic` for what is drawn.
"""
import argparse
import json
import sys
from typing import Dict, List, Optional

import numpy as np

from mmboxcaseg.datasets.synthetic import generate_synthetic_dataset
from mmboxcaseg.evaluation.functional import summarize_instance_ious
from mmboxcaseg.structures import box_regions


def box_fill_summary(ann_file: str) -> Dict[str, float]:
    """Score box-fill masks against the RLE masks of a COCO json.

    Each instance's prediction is its box filled (pixels from
    :func:`box_regions`); the IoU with its mask is summarised by
    :func:`summarize_instance_ious` (``mIoU*``, ``IoU@50``, ...).
    """
    from pycocotools import mask as mask_utils
    with open(ann_file) as f:
        coco = json.load(f)
    by_image: Dict[int, List[dict]] = {}
    for ann in coco['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    ious, cats = [], []
    for img in coco['images']:
        anns = by_image.get(img['id'], [])
        if not anns:
            continue
        h, w = img['height'], img['width']
        masks = mask_utils.decode([a['segmentation'] for a in anns])
        masks = masks.transpose(2, 0, 1).astype(bool)  # (N, H, W)
        xywh = np.array([a['bbox'] for a in anns], np.float64)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        x0, y0, x1, y1 = box_regions(xyxy, (h, w)).T[:, :, None, None]
        yy, xx = np.arange(h)[:, None], np.arange(w)[None, :]
        fill = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
        inter = (fill & masks).sum((1, 2))
        union = (fill | masks).sum((1, 2))
        ious.append(inter / np.maximum(union, 1))
        cats += [a['category_id'] for a in anns]
    return summarize_instance_ious(np.concatenate(ious), cats)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-salient',
        type=int,
        default=300,
        help='salient images (default 300)')
    parser.add_argument(
        '--num-scenes',
        type=int,
        default=200,
        help='train scenes (default 200)')
    parser.add_argument(
        '--num-val-scenes',
        type=int,
        default=50,
        help='val scenes (default 50)')
    parser.add_argument(
        '--size',
        type=int,
        default=256,
        help='image side in pixels (default 256)')
    parser.add_argument(
        '--min-objects',
        type=int,
        default=2,
        help='objects per scene, at least (default 2)')
    parser.add_argument(
        '--max-objects',
        type=int,
        default=5,
        help='objects per scene, at most (default 5)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace a synthetic set already in --out')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict:
    args = parse_args(argv)
    try:
        info = generate_synthetic_dataset(
            args.out,
            seed=args.seed,
            num_salient=args.num_salient,
            num_scenes=args.num_scenes,
            num_val_scenes=args.num_val_scenes,
            size=args.size,
            num_objects=(args.min_objects, args.max_objects),
            overwrite=args.overwrite,
            show_progress=True)
    except (ValueError, FileExistsError) as e:
        raise SystemExit(f'error: {e}')
    print(f'salient: {info["num_salient"]} images in {info["salient_images"]}'
          f' (masks in {info["salient_masks"]})')
    for split, key, n_img, n_inst in (('train', 'train_ann', 'num_scenes',
                                       'num_instances'),
                                      ('val', 'val_ann', 'num_val_scenes',
                                       'num_val_instances')):
        print(f'{split}: {info[n_img]} scenes, {info[n_inst]} instances in '
              f'{info[key]}')
        if info[n_inst]:
            s = box_fill_summary(info[key])
            info[f'{split}_box_fill'] = s
            print(f'  box-fill baseline: mIoU* {s["mIoU*"]:.1f}, IoU@50 '
                  f'{s["IoU@50"]:.1f}, IoU@75 {s["IoU@75"]:.1f}')
    return info


if __name__ == '__main__':
    main(sys.argv[1:])
