"""How well does the mask score rank masks by their true IoU?

Reads the instances that ``tools/test.py CONFIG CKPT --out P.pkl`` dumps
(each with ``score`` and ``gt_iou``) and prints Spearman's rank correlation
and the mean true IoU of each score quartile::

    python tools/test.py CONFIG CKPT --out work_dirs/scores.pkl
    python tools/analysis_tools/score_vs_iou.py work_dirs/scores.pkl
"""
import argparse
import pickle
import sys

import numpy as np


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pkl', help='the --out file of tools/test.py')
    args = p.parse_args(argv)
    from scipy.stats import spearmanr
    with open(args.pkl, 'rb') as f:
        instances = pickle.load(f)
    pairs = np.array([(d['score'], d['gt_iou']) for d in instances
                      if d.get('gt_iou') is not None and d.get('skip') is None])
    if len(pairs) < 3:
        print(f'error: {args.pkl} has {len(pairs)} scored instances',
              file=sys.stderr)
        return 2
    rho = spearmanr(pairs[:, 0], pairs[:, 1]).statistic
    print(f'{len(pairs)} instances: Spearman rank correlation of score and '
          f'true IoU = {rho:.3f}')
    edges = np.quantile(pairs[:, 0], [0, 0.25, 0.5, 0.75, 1])
    bins = np.clip(np.searchsorted(edges, pairs[:, 0], side='right') - 1, 0,
                   3)
    for q in range(4):
        sel = bins == q
        print(f'score quartile {q + 1} ({edges[q]:.3f}..{edges[q + 1]:.3f}):'
              f' mean true IoU {pairs[sel, 1].mean():.3f} '
              f'({int(sel.sum())} masks)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
