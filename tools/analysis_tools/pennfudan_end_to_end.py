"""The paper's headline in miniature, on PennFudan: Mask R-CNN from boxes +
proxy masks vs from real masks.

One command runs the whole chain and prints one table::

    python tools/analysis_tools/pennfudan_end_to_end.py \\
        --work-dir work_dirs/pennfudan_e2e

1. trains the BoxCaseg segmentor on the train split's **boxes** + the salient
   sets (``--seg-config``);
2. writes proxy masks for the train split: (b) BoxCaseg merged + dropped (the
   paper's recipe), (c) BoxCaseg without merge / drop, (d) box fill,
   (e) GrabCut, each scored against the real train masks;
3. trains the same Mask R-CNN (``--det-config``) five times, on the train
   boxes with (a) the real masks (the fully supervised reference) and with
   (b)-(e);
4. evaluates each on the val split's real masks and prints the table (also
   written to ``<work-dir>/results.json``): proxy quality on the train split
   (mIoU*, IoU@75), val segm AP / AP50 / AP75, the VOC-style mask mAPs, and
   each run's share of run (a).

``--runs`` picks some of (a)-(e) (the segmentor trains only for (b) or (c));
the table lists every run of the work dir that has finished.

Stages run ``--jobs`` at a time with one thread each, as soon as what they
need exists (run (a) trains while the segmentor does). Every stage is
skipped when its output exists, so a killed run continues where it stopped;
each stage logs to ``<work-dir>/logs/<stage>.log``.
"""
import argparse
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

from mmboxcaseg.utils import exit_on_user_error, make_dir

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SEG_CONFIG = ('configs/boxcaseg/'
              'boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py')
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
    'boxcaseg_merge_drop': ('boxcaseg', ['--drop-thr', '0.95']),
    'boxcaseg': ('boxcaseg', ['--no-merge', '--drop-thr', '0']),
    'boxfill': ('boxfill', ['--no-merge', '--drop-thr', '0']),
    'grabcut': ('grabcut', ['--no-merge', '--drop-thr', '0']),
}
SEGM_KEYS = ('coco/segm_mAP', 'coco/segm_mAP_50', 'coco/segm_mAP_75')
VOC_KEYS = tuple(f'voc/segm_mAP@{t}'
                 for t in ('0.25', '0.50', '0.70', '0.75'))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', required=True)
    p.add_argument(
        '--data-root',
        default='data/pennfudan',
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
        '--proxy-options',
        nargs='*',
        default=[],
        help='extra --cfg-options of the BoxCaseg proxy generation, e.g. '
        'model.test_cfg.pred=mixed')
    p.add_argument(
        '--det-options',
        nargs='*',
        default=[],
        help='extra --cfg-options of the five Mask R-CNN trainings')
    p.add_argument(
        '--no-refine',
        action='store_true',
        help='BoxCaseg proxies straight from the network (default: refined '
        'by GrabCut seeded from its probabilities, the measured best)')
    p.add_argument(
        '--runs',
        default='abcde',
        help='which runs to train, e.g. "ab" (default: all five)')
    p.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='stages at a time, one thread each (default 2: the cores)')
    args = p.parse_args(argv)
    keys = [key for key, _, _ in RUNS]
    picked = [c for c in args.runs.replace(',', '') if not c.isspace()]
    bad = sorted(set(picked) - set(keys))
    if bad or not picked:
        p.error(f'--runs {args.runs!r}: pick from {"".join(keys)}')
    args.runs = [key for key in keys if key in picked]
    return args


def _env(threads: int) -> dict:
    env = dict(os.environ)
    env['OMP_NUM_THREADS'] = str(threads)
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    return env


def _last_checkpoint(work_dir: str) -> Optional[str]:
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def _last_val(work_dir: str) -> Dict[str, float]:
    """The last validation scalars of the newest run in a work dir."""
    found: Dict[str, float] = {}
    runs = sorted(
        dirpath for dirpath, _, files in os.walk(work_dir)
        if 'scalars.json' in files)
    if runs:
        with open(osp.join(runs[-1], 'scalars.json')) as f:
            for line in f:
                row = json.loads(line)
                if any(k in row for k in SEGM_KEYS + VOC_KEYS):
                    found = row
    return found


def _final(work_dir: str) -> str:
    return osp.join(work_dir, 'final_val.json')


def _write_final(work_dir: str) -> None:
    """Record a finished training (exit 0): its last validation and the
    iteration of its last checkpoint."""
    row = dict(_last_val(work_dir))
    match = re.search(r'iter_(\d+)\.pth$', _last_checkpoint(work_dir) or '')
    row['iterations'] = int(match.group(1)) if match else None
    with open(_final(work_dir), 'w') as f:
        json.dump(row, f)


class Stage:
    """One command of the chain: what it needs, how to tell it is done."""

    def __init__(self, name: str, cmd, done, needs=(),
                 on_success=None) -> None:
        self.name = name
        self.on_success = on_success  # () -> None, after exit 0
        self.cmd = cmd  # () -> argv, built when the stage starts
        self.done = done  # () -> bool
        self.needs = tuple(needs)
        self.minutes: Optional[float] = None  # None: skipped


def run_stages(stages: List[Stage], jobs: int, log_dir: str) -> None:
    """Run ``stages`` ``jobs`` at a time in dependency order.

    A stage whose ``done()`` holds is skipped. When one fails, nothing new
    starts, the stages already running finish (their work is not lost), and
    the call exits naming the failed stage's log. Interrupting the call
    (Ctrl-C) stops the running stages with their data-loader workers.
    """
    os.makedirs(log_dir, exist_ok=True)
    finished = set()
    todo = []
    for st in stages:
        if st.done():
            print(f'[skip] {st.name}: output exists', flush=True)
            finished.add(st.name)
        else:
            todo.append(st)
    running: List[tuple] = []
    failed: List[str] = []
    try:
        while (todo and not failed) or running:
            for st in list(todo):
                if failed or len(running) >= max(1, jobs):
                    break
                if not all(n in finished for n in st.needs):
                    continue
                todo.remove(st)
                log = open(osp.join(log_dir, f'{st.name}.log'), 'w')
                print(f'[....] {st.name} (log: {log.name})', flush=True)
                proc = subprocess.Popen(
                    st.cmd(), cwd=ROOT, env=_env(1), stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
                running.append((st, proc, log, time.perf_counter()))
            if not running:
                missing = {n for st in todo for n in st.needs} - finished
                raise SystemExit(f'error: stages wait for {sorted(missing)}')
            time.sleep(1)
            for item in list(running):
                st, proc, log, started = item
                if proc.poll() is None:
                    continue
                running.remove(item)
                log.close()
                if not proc.returncode and st.on_success:
                    st.on_success()
                if proc.returncode or not st.done():
                    why = f'exit {proc.returncode}'
                    if proc.returncode == -9:
                        why += ', killed: out of memory? a Mask R-CNN ' \
                            'training holds ~4-5 GB'
                    failed.append(f'{st.name} failed ({why}); see {log.name}')
                    print(f'[FAIL] {failed[-1]}' + (
                        '; waiting for the running stages' if running
                        else ''), flush=True)
                    continue
                st.minutes = (time.perf_counter() - started) / 60
                finished.add(st.name)
                print(f'[done] {st.name} ({st.minutes:.1f} min)', flush=True)
    finally:
        for _, proc, _, _ in running:  # only when interrupted
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if failed:
        raise SystemExit('error: ' + '; '.join(failed) +
                         '. Run the same command again to continue.')


def _fmt(v: float) -> str:
    return 'n/a' if v != v else f'{v:.1f}'


@exit_on_user_error
def main(argv=None) -> int:
    args = parse_args(argv)
    wd = make_dir(osp.abspath(args.work_dir), '--work-dir')
    py = sys.executable
    data = osp.abspath(args.data_root)
    train_json = osp.join(data, 'annotations_train.json')
    val_json = osp.join(data, 'annotations_val.json')
    for path in (train_json, val_json):
        if not osp.isfile(path):
            raise SystemExit(f'error: {path} does not exist (--data-root)')
    for path in (args.seg_config, args.det_config, args.seg_checkpoint):
        if path and not osp.isfile(osp.join(ROOT, path)):
            raise SystemExit(f'error: {path} does not exist')
    t_start = time.perf_counter()
    stages: List[Stage] = []

    runs = [run for run in RUNS if run[0] in args.runs]
    proxies = {proxy for _, _, proxy in runs if proxy is not None}

    # 1. the segmentor, trained on the train split's boxes
    seg_wd = osp.join(wd, 'segmentor')
    if args.seg_checkpoint is None and any(PROXIES[p][0] == 'boxcaseg'
                                           for p in proxies):
        stages.append(
            Stage(
                'segmentor', lambda: [
                    py, 'tools/train.py', args.seg_config, '--work-dir',
                    seg_wd, '--cfg-options',
                    f'train_dataloader.dataset.datasets.0.data_root={data}/',
                    'train_dataloader.dataset.datasets.0.ann_file='
                    'annotations_train.json',
                    f'val_dataloader.dataset.data_root={data}/',
                    'val_dataloader.dataset.ann_file=annotations_train.json'
                ] + args.seg_options,
                lambda: _last_checkpoint(seg_wd) is not None))

    def seg_ckpt() -> str:
        return args.seg_checkpoint or _last_checkpoint(seg_wd)

    # 2. proxy masks of the train split
    proxy_dir = osp.join(wd, 'proxies')
    os.makedirs(proxy_dir, exist_ok=True)

    def proxy_cmd(name: str, gen: str, flags: List[str]):
        out = osp.join(proxy_dir, f'{name}.json')
        cmd = [
            py, 'tools/generate_proxy_masks.py', '--ann-file', train_json,
            '--img-root', data, '--out', out, '--generator', gen,
            '--num-workers', '0', '--no-progress'
        ] + flags
        if gen == 'boxcaseg':
            cmd += ['--config', args.seg_config, '--checkpoint', seg_ckpt()]
            if not args.no_refine:
                cmd.append('--refine')
            if args.proxy_options:
                cmd += ['--cfg-options'] + args.proxy_options
        return cmd

    def proxy_done(name: str):
        out = osp.join(proxy_dir, f'{name}.json')
        return lambda: (osp.isfile(out) and osp.isfile(out[:-5] +
                                                       '.report.json'))

    for name, (gen, flags) in PROXIES.items():
        if name not in proxies:
            continue
        needs = ['segmentor'] if gen == 'boxcaseg' and \
            args.seg_checkpoint is None else []
        stages.append(
            Stage(f'proxy_{name}',
                  lambda name=name, gen=gen, flags=flags: proxy_cmd(
                      name, gen, flags), proxy_done(name), needs))

    # 3. the same Mask R-CNN on the five mask sources
    det_dirs = {key: osp.join(wd, f'mask_rcnn_{key}') for key, _, _ in RUNS}
    for key, _, proxy in runs:
        ann = train_json if proxy is None else osp.join(
            proxy_dir, f'{proxy}.json')
        stages.append(
            Stage(f'mask_rcnn_{key}',
                  lambda key=key, ann=ann: [
                      py, 'tools/train.py', args.det_config, '--work-dir',
                      det_dirs[key], '--cfg-options',
                      f'train_dataloader.dataset.ann_file={ann}',
                      f'train_dataloader.dataset.data_prefix.img={data}/',
                      f'val_dataloader.dataset.ann_file={val_json}',
                      f'val_dataloader.dataset.data_prefix.img={data}/',
                      f'val_evaluator.0.ann_file={val_json}',
                      f'val_evaluator.1.ann_file={val_json}'
                  ] + args.det_options,
                  lambda key=key: osp.isfile(_final(det_dirs[key])),
                  [] if proxy is None else [f'proxy_{proxy}'],
                  lambda key=key: _write_final(det_dirs[key])))
    try:
        run_stages(stages, args.jobs, osp.join(wd, 'logs'))
    finally:  # a failed or interrupted call still records what finished
        _write_table(wd, proxy_dir, det_dirs, stages, t_start)
    return 0


def _write_table(wd: str, proxy_dir: str, det_dirs: Dict[str, str],
                 stages: List[Stage], t_start: float) -> None:
    """Print the table of every finished run of ``wd`` and write
    ``results.json`` with it and the minutes of every stage run so far."""
    # 4. the table: every finished run of the work dir
    reports = {}
    for name in PROXIES:
        path = osp.join(proxy_dir, f'{name}.report.json')
        if osp.isfile(path):
            with open(path) as f:
                reports[name] = json.load(f)
    rows = []
    finals = {}
    for key in det_dirs:
        if osp.isfile(_final(det_dirs[key])):
            with open(_final(det_dirs[key])) as f:
                finals[key] = json.load(f)
    ref = finals.get('a', {})
    nan = float('nan')
    for key, label, proxy in RUNS:
        if key not in finals:
            continue
        val = finals[key]
        rep = reports.get(proxy)
        q = None
        if rep is not None and 'quality' in rep:
            q = rep['quality'].get('kept', rep['quality']['all']) \
                if proxy == 'boxcaseg_merge_drop' else rep['quality']['all']
        row = dict(
            run=key,
            masks=label,
            proxy_mIoU=q['mIoU*'] if q else (100.0 if rep is None else nan),
            proxy_IoU75=q['IoU@75'] if q else (100.0
                                               if rep is None else nan),
            kept=100.0 * (1 - rep['drop_rate']) if rep else 100.0,
            iterations=val['iterations'])
        for k in SEGM_KEYS:
            row[k] = 100.0 * val.get(k, nan)
        for k in VOC_KEYS:
            row[k] = val.get(k, nan)
        row['share_of_a'] = 100.0 * val.get('coco/segm_mAP', nan) / max(
            ref.get('coco/segm_mAP', nan), 1e-9)
        rows.append(row)
    head = [
        'run', 'masks', 'proxy mIoU* / IoU@75 (train)', 'kept %', 'segm AP',
        'AP50', 'AP75', 'mAP@.25', '@.50', '@.70', '@.75', '% of (a)'
    ]
    print('\n| ' + ' | '.join(head) + ' |')
    print('|' + '---|' * len(head))
    for r in rows:
        cells = [
            r['run'], r['masks'],
            f'{_fmt(r["proxy_mIoU"])} / {_fmt(r["proxy_IoU75"])}',
            f'{r["kept"]:.0f}'
        ] + [_fmt(r[k]) for k in SEGM_KEYS + VOC_KEYS] + [
            'n/a' if r['share_of_a'] != r['share_of_a'] else
            f'{r["share_of_a"]:.0f}'
        ]
        print('| ' + ' | '.join(cells) + ' |')
    out = osp.join(wd, 'results.json')
    minutes = {}
    if osp.isfile(out):  # the stages of earlier calls keep their times
        with open(out) as f:
            minutes = json.load(f).get('stage_minutes', {})
    minutes.update(
        {st.name: st.minutes
         for st in stages if st.minutes is not None})
    results = dict(rows=rows, stage_minutes=minutes, work_dir=wd)
    with open(out, 'w') as f:
        json.dump(results, f, indent=1)
    print(f'\ntable: {osp.join(wd, "results.json")}; this call took '
          f'{(time.perf_counter() - t_start) / 60:.1f} min')


if __name__ == '__main__':
    sys.exit(main())
