"""The table of an end-to-end work dir (``make e2e-table``).

Reads every finished run of ``WORK_DIR`` (the folders
``mask_rcnn_<row>_seed<seed>``, for mmdet's BoxInst
``boxinst_<row>_seed<seed>`` and for BoxCaseg's masks on a detector's boxes
``boxcaseg_<row>_seed<seed>`` (its ``metrics.json``) that
``tools/pipelines.mk`` writes, finished when they hold ``.done``) and prints
one markdown table: per row the mean
+- sample std over seeds of the final validation's segm AP, AP50, AP75 and
box AP, the number of seeds, and the row's share of row (a)'s means (segm AP
and AP75) +- the spread the two rows' stds imply; then the proxy quality of
each proxy set on the train split (the converter's report json). Unfinished
runs are listed as missing, never guessed::

    python tools/analysis_tools/collect_e2e.py work_dirs/pennfudan_e2e \\
        --out work_dirs/pennfudan_e2e/results.json
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

from mmboxcaseg.utils import UserError, exit_on_user_error

ROW_LABELS = {
    'a': 'real masks (fully supervised)',
    'b': 'BoxCaseg + merge + drop 0.95',
    'c': 'BoxCaseg',
    'd': 'box fill',
    'e': 'GrabCut',
    'f': 'BoxInst (mmdet, boxes only)',
    'g': 'BoxCaseg, low scores ignored',
    'h': "BoxCaseg's masks on row c's detections",
}
# the table's columns: name -> key of MMEngine's validation scalars
METRICS = {
    'segm AP': 'coco/segm_mAP',
    'AP50': 'coco/segm_mAP_50',
    'AP75': 'coco/segm_mAP_75',
    'box AP': 'coco/bbox_mAP',
}
SHARES = ('segm AP', 'AP75')  # the columns given as a share of row (a)
RUN_DIR = re.compile(r'^(?:mask_rcnn|boxinst|boxcaseg)_([a-z])_seed(\d+)$')
# what tools/detections_to_masks.py --eval writes in a row-h folder
METRICS_FILE = 'metrics.json'


def last_val(work_dir: str) -> Optional[Dict[str, float]]:
    """The last validation scalars of the newest run of a training's work
    dir (MMEngine's ``<timestamp>/vis_data/scalars.json``), or the metrics
    of a row-h folder (``metrics.json``); None when it has none."""
    metrics = osp.join(work_dir, METRICS_FILE)
    if osp.isfile(metrics):
        with open(metrics) as f:
            try:
                return json.load(f)
            except ValueError:
                raise UserError(f'{metrics}: not json') from None
    runs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    if not runs:
        return None
    found = None
    with open(runs[-1]) as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise UserError(f'{runs[-1]}: line {i} is not json') from None
            if METRICS['segm AP'] in row:
                found = row
    return found


def mean_std(values: List[float]) -> Dict[str, Optional[float]]:
    """Mean and sample std (None below two values)."""
    if not values:
        return dict(mean=None, std=None)
    mean = sum(values) / len(values)
    std = None
    if len(values) > 1:
        std = math.sqrt(
            sum((v - mean)**2 for v in values) / (len(values) - 1))
    return dict(mean=mean, std=std)


def share(row: dict, ref: dict) -> Dict[str, Optional[float]]:
    """100 * row mean / reference mean, with the spread that the two stds
    imply to first order (relative errors added in quadrature)."""
    if not ref['mean'] or row['mean'] is None:
        return dict(share=None, spread=None)
    value = 100.0 * row['mean'] / ref['mean']
    spread = None
    if row['std'] is not None and ref['std'] is not None and row['mean']:
        spread = value * math.sqrt((row['std'] / row['mean'])**2 +
                                   (ref['std'] / ref['mean'])**2)
    return dict(share=value, spread=spread)


def collect(work_dir: str) -> dict:
    """Rows, proxy sets and missing runs of ``work_dir``."""
    runs: Dict[str, Dict[int, dict]] = {}
    missing = []
    for name in sorted(os.listdir(work_dir)):
        match = RUN_DIR.match(name)
        path = osp.join(work_dir, name)
        if not match or not osp.isdir(path):
            continue
        val = None
        if osp.isfile(osp.join(path, '.done')):
            val = last_val(path)
        if val is None:
            missing.append(name)
            continue
        row, seed = match.group(1), int(match.group(2))
        runs.setdefault(row, {})[seed] = val
    rows = []
    for row in sorted(runs):
        seeds = sorted(runs[row])
        metrics = {
            col: mean_std([100.0 * runs[row][s][key] for s in seeds
                           if key in runs[row][s]])
            for col, key in METRICS.items()
        }
        rows.append(dict(row=row, masks=ROW_LABELS.get(row, '?'),
                         seeds=seeds, metrics=metrics))
    ref = rows[0] if rows and rows[0]['row'] == 'a' else None
    for r in rows:
        r['share_of_a'] = {
            col: share(r['metrics'][col], ref['metrics'][col])
            if ref else dict(share=None, spread=None)
            for col in SHARES
        }
    return dict(work_dir=work_dir, rows=rows,
                proxies=proxy_quality(osp.join(work_dir, 'proxies')),
                missing=missing)


def proxy_quality(proxy_dir: str) -> List[dict]:
    """mIoU* and IoU@75 of each proxy set against the train split's real
    masks: of the masks kept after a drop, else of all."""
    found = []
    for path in sorted(glob.glob(osp.join(proxy_dir, '*.report.json'))):
        with open(path) as f:
            try:
                rep = json.load(f)
            except ValueError:
                raise UserError(f'{path}: not json') from None
        quality = rep.get('quality') or {}
        dropped = rep.get('drop_rate', 0.0) > 0 and 'kept' in quality
        q = quality.get('kept' if dropped else 'all') or {}
        found.append(
            dict(set=osp.basename(path)[:-len('.report.json')],
                 miou=q.get('mIoU*'), iou75=q.get('IoU@75'),
                 of='kept' if dropped else 'all',
                 kept=100.0 * (1.0 - rep.get('drop_rate', 0.0))))
    return found


def _pm(value: Optional[float], spread: Optional[float]) -> str:
    if value is None:
        return 'n/a'
    return f'{value:.1f}' + ('' if spread is None else f' +- {spread:.1f}')


def table(results: dict) -> str:
    """The markdown of :func:`collect`'s results."""
    head = ['row', 'masks', 'seeds'] + list(METRICS) + [
        f'{col}, % of (a)' for col in SHARES
    ]
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in results['rows']:
        cells = [r['row'], r['masks'], str(len(r['seeds']))]
        cells += [_pm(m['mean'], m['std']) for m in r['metrics'].values()]
        cells += [_pm(s['share'], s['spread'])
                  for s in r['share_of_a'].values()]
        lines.append('| ' + ' | '.join(cells) + ' |')
    if results['proxies']:
        lines += ['', '| proxy set (train split) | mIoU* | IoU@75 | of | '
                  'kept % |', '|---|---|---|---|---|']
        for p in results['proxies']:
            lines.append(f'| {p["set"]} | {_pm(p["miou"], None)} | '
                         f'{_pm(p["iou75"], None)} | {p["of"]} | '
                         f'{p["kept"]:.0f} |')
    if results['missing']:
        lines += ['', 'missing (unfinished): ' +
                  ', '.join(results['missing'])]
    return '\n'.join(lines)


@exit_on_user_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dir', help='the E2E folder of tools/pipelines.mk')
    p.add_argument('--out', help='also write the results here (json)')
    args = p.parse_args(argv)
    if not osp.isdir(args.work_dir):
        raise UserError(f'WORK_DIR {args.work_dir} is not a folder')
    results = collect(args.work_dir)
    print(table(results))
    if args.out:
        tmp = args.out + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
