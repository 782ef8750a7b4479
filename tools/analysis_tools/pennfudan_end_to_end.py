"""The paper's headline in miniature, on PennFudan: Mask R-CNN from boxes +
proxy masks vs from real masks.

One command runs the whole chain and prints one table::

    python tools/analysis_tools/pennfudan_end_to_end.py --work-dir work_dirs/pennfudan_e2e

1. trains the BoxCaseg segmentor on the train split's **boxes** + the salient
   sets (``--seg-config``);
2. writes proxy masks for the train split: (b) BoxCaseg merged + dropped (the
   paper's recipe), (c) BoxCaseg without merge / drop, (d) box fill,
   (e) GrabCut, each scored against the real train masks;
3. trains the same Mask R-CNN (``--det-config``) five times, on the train
   boxes with (a) the real masks (the fully supervised reference) and with
   (b)-(e), ``--jobs`` at a time with one thread each;
4. evaluates each on the val split's real masks and prints the table (also
   written to ``<work-dir>/results.json``): proxy quality on the train split
   (mIoU*, IoU@75), val segm AP / AP50 / AP75, the VOC-style mask mAPs, and
   each run's share of run (a).

Every stage is skipped when its output exists, so a killed run continues
where it stopped; each stage logs to ``<work-dir>/<stage>.log``.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_CONFIG = 'configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_pennfudan.py'
DET_CONFIG = ('configs/proxy_mask_rcnn/'
              'proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py')
RUNS = (
    ('a', 'real masks (fully supervised)', None),
    ('b', 'BoxCaseg + merge + drop', 'boxcaseg_merge_drop'),
    ('c', 'BoxCaseg', 'boxcaseg'),
    ('d', 'box fill', 'boxfill'),
    ('e', 'GrabCut', 'grabcut'),
)
PROXIES = {
    'boxcaseg_merge_drop': ('boxcaseg', []),
    'boxcaseg': ('boxcaseg', ['--no-merge', '--drop-thr', '0']),
    'boxfill': ('boxfill', ['--no-merge', '--drop-thr', '0']),
    'grabcut': ('grabcut', ['--no-merge', '--drop-thr', '0']),
}
SEGM_KEYS = ('coco/segm_mAP', 'coco/segm_mAP_50', 'coco/segm_mAP_75')
VOC_KEYS = tuple(f'voc/segm_mAP@{t}' for t in ('0.25', '0.50', '0.70',
                                                '0.75'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', required=True)
    p.add_argument(
        '--data-root',
        default='../shared/data/pennfudan',
        help='holds images/ and annotations_{train,val}.json')
    p.add_argument('--seg-config', default=SEG_CONFIG)
    p.add_argument(
        '--seg-checkpoint',
        help='use this segmentor instead of training one')
    p.add_argument('--det-config', default=DET_CONFIG)
    p.add_argument(
        '--seg-options',
        nargs='*',
        default=[],
        help='extra --cfg-options of the segmentor training')
    p.add_argument(
        '--det-options',
        nargs='*',
        default=[],
        help='extra --cfg-options of the five Mask R-CNN trainings')
    p.add_argument(
        '--refine',
        action='store_true',
        help='refine the BoxCaseg proxies with GrabCut')
    p.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='Mask R-CNN trainings at a time (one thread each)')
    return p.parse_args(argv)


class Stages:
    """Prints numbered stages with their wall times."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.times: Dict[str, float] = {}

    def run(self, name: str, done: bool, fn) -> None:
        if done:
            print(f'[skip] {name}: output exists', flush=True)
            self.times.setdefault(name, 0.0)
            return
        t0 = time.perf_counter()
        print(f'[....] {name}', flush=True)
        fn()
        self.times[name] = time.perf_counter() - t0
        print(f'[done] {name} ({self.times[name] / 60:.1f} min)', flush=True)


def _env(threads: int) -> dict:
    env = dict(os.environ)
    env['OMP_NUM_THREADS'] = str(threads)
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    return env


def _call(cmd: List[str], log: str, threads: int = 2) -> None:
    with open(log, 'w') as f:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=_env(threads), stdout=f,
            stderr=subprocess.STDOUT)
    if proc.returncode:
        raise SystemExit(f'error: {" ".join(cmd[:3])} ... failed (exit '
                         f'{proc.returncode}); see {log}')


def _last_checkpoint(work_dir: str) -> Optional[str]:
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def _last_val(work_dir: str) -> Dict[str, float]:
    """The last validation scalars of a training work dir."""
    found: Dict[str, float] = {}
    for dirpath, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            with open(osp.join(dirpath, 'scalars.json')) as f:
                for line in f:
                    row = json.loads(line)
                    if any(k in row for k in SEGM_KEYS + VOC_KEYS):
                        found = row
    return found


def main(argv=None) -> int:
    args = parse_args(argv)
    wd = osp.abspath(args.work_dir)
    os.makedirs(wd, exist_ok=True)
    py = sys.executable
    data = args.data_root
    train_json = osp.join(data, 'annotations_train.json')
    val_json = osp.join(data, 'annotations_val.json')
    for path in (train_json, val_json):
        if not osp.isfile(path):
            raise SystemExit(f'error: {path} does not exist (--data-root)')
    stages = Stages()

    # 1. segmentor on the train boxes
    seg_wd = osp.join(wd, 'segmentor')
    seg_ckpt = args.seg_checkpoint
    if seg_ckpt is None:
        stages.run(
            'train the BoxCaseg segmentor on the train boxes',
            _last_checkpoint(seg_wd) is not None,
            lambda: _call([
                py, 'tools/train.py', args.seg_config, '--work-dir', seg_wd,
                '--cfg-options',
                f'train_dataloader.dataset.datasets.0.data_root={data}/',
                'train_dataloader.dataset.datasets.0.ann_file='
                'annotations_train.json', f'val_dataloader.dataset.'
                f'data_root={data}/',
                'val_dataloader.dataset.ann_file=annotations_train.json'
            ] + args.seg_options, osp.join(wd, 'segmentor.log')))
        seg_ckpt = _last_checkpoint(seg_wd)

    # 2. proxy masks of the train split
    proxy_dir = osp.join(wd, 'proxies')
    os.makedirs(proxy_dir, exist_ok=True)
    reports = {}
    for name, (gen, flags) in PROXIES.items():
        out = osp.join(proxy_dir, f'{name}.json')
        cmd = [
            py, 'tools/generate_proxy_masks.py', '--ann-file', train_json,
            '--img-root', data, '--out', out, '--generator', gen,
            '--no-progress'
        ] + flags
        if gen == 'boxcaseg':
            cmd += ['--config', args.seg_config, '--checkpoint', seg_ckpt]
            if args.refine:
                cmd.append('--refine')
        if gen == 'grabcut':
            cmd += ['--nproc', '2']
        stages.run(f'proxy masks: {name}',
                   osp.isfile(out) and osp.isfile(out[:-5] + '.report.json'),
                   lambda cmd=cmd, name=name: _call(
                       cmd, osp.join(proxy_dir, f'{name}.log')))
        with open(out[:-5] + '.report.json') as f:
            reports[name] = json.load(f)

    # 3. five Mask R-CNN trainings, `--jobs` at a time
    det_dirs = {key: osp.join(wd, f'mask_rcnn_{key}') for key, _, _ in RUNS}
    todo = []
    for key, _, proxy in RUNS:
        if _last_val(det_dirs[key]):
            print(f'[skip] Mask R-CNN ({key}): trained', flush=True)
        else:
            todo.append((key, proxy))
    t0 = time.perf_counter()
    running: List[tuple] = []
    det_times = {}
    while todo or running:
        while todo and len(running) < max(1, args.jobs):
            key, proxy = todo.pop(0)
            ann = train_json if proxy is None else osp.join(
                proxy_dir, f'{proxy}.json')
            cmd = [
                py, 'tools/train.py', args.det_config, '--work-dir',
                det_dirs[key], '--cfg-options',
                f'train_dataloader.dataset.ann_file={ann}'
            ] + args.det_options
            log = open(osp.join(wd, f'mask_rcnn_{key}.log'), 'w')
            print(f'[....] Mask R-CNN ({key}) on {osp.basename(ann)}',
                  flush=True)
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=_env(1), stdout=log,
                stderr=subprocess.STDOUT)
            running.append((key, proc, log, time.perf_counter()))
        time.sleep(2)
        for item in list(running):
            key, proc, log, started = item
            if proc.poll() is None:
                continue
            running.remove(item)
            log.close()
            if proc.returncode:
                for _, other, _, _ in running:
                    other.kill()
                raise SystemExit(f'error: Mask R-CNN ({key}) failed; see '
                                 f'{log.name}')
            det_times[key] = time.perf_counter() - started
            print(f'[done] Mask R-CNN ({key}) '
                  f'({det_times[key] / 60:.1f} min)', flush=True)
    if det_times:
        stages.times['Mask R-CNN trainings'] = time.perf_counter() - t0

    # 4. the table
    rows = []
    ref = _last_val(det_dirs['a'])
    for key, label, proxy in RUNS:
        val = _last_val(det_dirs[key])
        q = reports[proxy]['quality']['kept' if proxy ==
                                      'boxcaseg_merge_drop' else 'all'] \
            if proxy else None
        row = dict(
            run=key,
            masks=label,
            proxy_mIoU=q['mIoU*'] if q else 100.0,
            proxy_IoU75=q['IoU@75'] if q else 100.0,
            kept=100.0 * (1 - reports[proxy]['drop_rate']) if proxy else
            100.0,
            minutes=det_times.get(key, 0.0) / 60)
        for k in SEGM_KEYS:
            row[k] = 100.0 * val.get(k, float('nan'))
        for k in VOC_KEYS:
            row[k] = val.get(k, float('nan'))
        row['share_of_a'] = 100.0 * val.get('coco/segm_mAP', float('nan')) \
            / max(ref.get('coco/segm_mAP', float('nan')), 1e-9)
        rows.append(row)
    head = [
        'run', 'masks', 'proxy mIoU* / IoU@75 (train)', 'kept %', 'segm AP',
        'AP50', 'AP75', 'mAP@.25', '@.50', '@.70', '@.75', '% of (a)'
    ]
    print('\n| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for r in rows:
        print('| ' + ' | '.join([
            r['run'], r['masks'], f'{r["proxy_mIoU"]:.1f} / '
            f'{r["proxy_IoU75"]:.1f}', f'{r["kept"]:.0f}'
        ] + [f'{r[k]:.1f}' for k in SEGM_KEYS + VOC_KEYS] +
                                  [f'{r["share_of_a"]:.0f}']) + ' |')
    results = dict(
        rows=rows,
        stage_minutes={k: v / 60
                       for k, v in stages.times.items()},
        work_dir=wd)
    with open(osp.join(wd, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    print(f'\ntable: {osp.join(wd, "results.json")}; total '
          f'{(time.perf_counter() - stages.start) / 60:.1f} min')
    return 0


if __name__ == '__main__':
    sys.exit(main())
