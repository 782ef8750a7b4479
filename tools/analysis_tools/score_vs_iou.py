"""How well does the mask score rank masks by their true IoU?

Reads the instances that ``tools/test.py CONFIG CKPT --out P.pkl`` dumps
(each with ``score`` and ``gt_iou``) and prints Spearman's rank correlation
and the mean true IoU of each score quartile::

    python tools/test.py CONFIG CKPT --out work_dirs/scores.pkl
    python tools/analysis_tools/score_vs_iou.py work_dirs/scores.pkl

``--versus B.pkl ...`` (the same boxes under another test setting, e.g.
``model.test_cfg.pred=mixed``) also ranks by measures that need no
training: each mask's IoU with the same box's mask in ``B`` (how much the
model's settings disagree), and the score times that IoU.

``--ann-file A.json`` (the COCO json whose boxes were scored) also prints
Spearman within COCO's object sizes, by each box's area ``w * h``: small
(< 32^2 px), medium (< 96^2), large. A whole set's rank correlation mixes
sizes whose IoUs differ; within one size it says how well the score sorts
objects alike.

``--drop-thr T ...`` prints what ``generate_proxy_masks.py
--drop-score-thr T`` would do to these masks: the share ignored (score
below ``T``) and the kept masks' mean true IoU and share at IoU >= 0.75.

The file is read with an allow-list (``mmboxcaseg.utils.safe_pickle``): a
``.pkl`` that would run code is refused.
"""
import argparse
import sys

import numpy as np

from mmboxcaseg.structures.coco_index import index_coco
from mmboxcaseg.utils import UserError, exit_on_user_error
from mmboxcaseg.utils.safe_pickle import load_results


def read_instances(path: str) -> list:
    """The instances of a tools/test.py ``--out`` file (allow-list read)."""
    instances = load_results(path)
    if not isinstance(instances, list) or not all(
            isinstance(d, dict) and 'score' in d for d in instances):
        raise UserError(f'{path} is not a list of instances with '
                        'scores (the --out file of tools/test.py)')
    return instances


def agreement(instances: list, others: list, path: str) -> np.ndarray:
    """IoU of each instance's mask with the mask of the same annotation id
    in ``others``; (n,) float64. An instance missing there is an error."""
    from pycocotools import mask as mask_utils
    by_id = {d.get('id'): d for d in others}
    out = np.zeros(len(instances))
    for k, d in enumerate(instances):
        o = by_id.get(d.get('id'))
        if o is None or o.get('segmentation') is None:
            raise UserError(f'{path}: no mask for annotation id '
                            f'{d.get("id")} (not the same boxes?)')
        out[k] = mask_utils.iou([d['segmentation']], [o['segmentation']],
                                [0])[0, 0]
    return out


# COCO's object sizes by area in px^2 (pycocotools' areaRng)
SIZES = (('small', 0, 32**2), ('medium', 32**2, 96**2), ('large', 96**2,
                                                        np.inf))


def box_areas(instances: list, ann_file: str) -> np.ndarray:
    """``w * h`` of each instance's box (clipped to its image) in the COCO
    json ``ann_file``, found by annotation id; (n,) float64. The json is
    read and checked as every tool reads one (``index_coco``); an id it
    lacks, or a box it skips, is an error naming the file and the id."""
    index = index_coco(ann_file, verbose=False, need_categories=False)
    by_id = {a['id']: k for k, a in enumerate(index.annotations)}
    out = np.zeros(len(instances))
    for k, d in enumerate(instances):
        row = by_id.get(d.get('id'))
        if row is None or not np.isfinite(index.boxes[row]).all():
            why = 'no annotation' if row is None else 'no usable box'
            raise UserError(f'{ann_file}: {why} for annotation id '
                            f'{d.get("id")} (not the scored boxes?)')
        x1, y1, x2, y2 = index.boxes[row]
        out[k] = (x2 - x1) * (y2 - y1)
    return out


@exit_on_user_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pkl', help='the --out file of tools/test.py')
    p.add_argument(
        '--versus',
        nargs='+',
        default=[],
        metavar='PKL',
        help='--out files of the same boxes under other test settings')
    p.add_argument(
        '--drop-thr',
        nargs='+',
        type=float,
        default=[],
        metavar='T',
        help='score thresholds: the masks each would ignore and keep')
    p.add_argument(
        '--ann-file',
        help='the COCO json of the scored boxes: Spearman per object size')
    args = p.parse_args(argv)
    from scipy.stats import spearmanr
    instances = [
        d for d in read_instances(args.pkl)
        if d.get('gt_iou') is not None and d.get('skip') is None
    ]
    pairs = np.array([(d['score'], d['gt_iou']) for d in instances])
    if len(pairs) < 3:
        print(f'error: {args.pkl} has {len(pairs)} scored instances',
              file=sys.stderr)
        return 2
    rho = spearmanr(pairs[:, 0], pairs[:, 1]).statistic
    print(f'{len(pairs)} instances: Spearman rank correlation of score and '
          f'true IoU = {rho:.3f}')
    for other in args.versus:
        agree = agreement(instances, read_instances(other), other)
        rho = spearmanr(agree, pairs[:, 1]).statistic
        both = spearmanr(agree * pairs[:, 0], pairs[:, 1]).statistic
        print(f'versus {other}: Spearman of the IoU with its mask = '
              f'{rho:.3f}; of score x that IoU = {both:.3f}')
    edges = np.quantile(pairs[:, 0], [0, 0.25, 0.5, 0.75, 1])
    bins = np.clip(np.searchsorted(edges, pairs[:, 0], side='right') - 1, 0,
                   3)
    for q in range(4):
        sel = bins == q
        if not sel.any():  # tied scores leave a quartile empty
            continue
        print(f'score quartile {q + 1} ({edges[q]:.3f}..{edges[q + 1]:.3f}):'
              f' mean true IoU {pairs[sel, 1].mean():.3f} '
              f'({int(sel.sum())} masks)')
    if args.ann_file:
        areas = box_areas(instances, args.ann_file)
        for name, lo, hi in SIZES:
            sel = (areas >= lo) & (areas < hi)
            line = f'{name} boxes ({int(sel.sum())}): '
            if sel.sum() < 3:
                print(line + 'too few to rank')
                continue
            rho = spearmanr(pairs[sel, 0], pairs[sel, 1]).statistic
            print(line + f'Spearman {rho:.3f}, mean true IoU '
                  f'{pairs[sel, 1].mean():.3f}')
    for thr in args.drop_thr:
        print(drop_line(pairs, thr))
    return 0


def drop_line(pairs: np.ndarray, thr: float) -> str:
    """What ignoring the masks scoring below ``thr`` leaves of ``pairs``
    ((n, 2): score, true IoU), as one line."""
    kept = pairs[pairs[:, 0] >= thr, 1]
    line = (f'drop below {thr:g}: {100 * (1 - len(kept) / len(pairs)):.1f} '
            f'% ignored')
    if len(kept):
        line += (f'; kept: mean true IoU {100 * kept.mean():.1f}, '
                 f'IoU >= 0.75 {100 * (kept >= 0.75).mean():.1f} %')
    return line


if __name__ == '__main__':
    sys.exit(main())
