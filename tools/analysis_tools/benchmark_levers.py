"""Training speed of BoxCaseg with and without each training-time lever.

Each variant trains ``--warmup + --iters`` iterations of the given config
(its real data: the paths in the config, or ``--cfg-options``) in a fresh
process with ``--threads`` threads; the table gives the median seconds per
iteration after the warm-up (MMEngine's ``IterTimerHook`` times) and the
ratio to the first variant. ``--rounds`` (default 2) runs every variant that
many times, the order reversed each round (A B C, C B A), and pools the
timed iterations: the first child of a call pays cold file reads and the
machine drifts, so one pass in one order favours the later variants.
Validation and checkpoints are off. Levers that only act at test time
(flip, 320 px crops, GrabCut refinement) cost nothing here:
``benchmark_proxy.py`` times them per box.

Variants (``--variants``, default all):

* ``default``: the config as it is (three heads);
* ``weak-only`` / ``weak-salient`` / ``weak-transferred``: the paper's
  Table 4 rows (heads removed);
* ``color-pairwise``: + ``ColorPairwiseLoss`` (BoxInst-style);
* ``ema``: + MMEngine's ``EMAHook`` (the weight average of the ``-4k``
  configs);
* ``nchw``: the images in PyTorch's default NCHW layout instead of the
  ``channels_last`` of the CPU configs (``model.channels_last=False``);

Example (2-core CPU, ~10 min; run it with nothing else on the machine)::

    python tools/analysis_tools/benchmark_levers.py \\
        configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# each variant is merged into the config (``Config.merge_from_dict``, dotted
# keys); the values are Python objects, so a variant can add hooks
VARIANTS = {
    'default': {},
    'weak-only': {
        'model.salient_head': None,
        'model.transferred_head': None,
        'model.test_cfg.pred': 'weak'
    },
    'weak-salient': {
        'model.transferred_head': None,
        'model.test_cfg.pred': 'weak'
    },
    'weak-transferred': {
        'model.salient_head': None,
        'model.test_cfg.pred': 'weak'
    },
    'color-pairwise': {
        'model.color_pairwise_loss.type': 'ColorPairwiseLoss'
    },
    'ema': None,  # read from EMA_BASE by variant()
    # the memory layout of the images (the CPU configs: channels_last)
    'nchw': {
        'model.channels_last': False
    },
}
# the weight average of the -4k configs
EMA_BASE = osp.join(ROOT, 'configs', '_base_', 'schedules', 'ema.py')


def variant(name: str) -> dict:
    """What variant ``name`` merges into the config."""
    if name != 'ema':
        return VARIANTS[name]
    from mmengine.config import Config
    hooks = Config.fromfile(EMA_BASE).custom_hooks
    # from the first iteration on, so the few timed ones pay for the average
    return dict(custom_hooks=[dict(h, begin_iter=0) for h in hooks])


def schedule(variants, rounds: int) -> list:
    """The order the children run in: ``variants``, then reversed, and so
    on for ``rounds`` rounds (each variant once per round)."""
    order = []
    for k in range(rounds):
        order += list(variants) if k % 2 == 0 else list(reversed(variants))
    return order


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument(
        '--variants',
        nargs='+',
        default=list(VARIANTS),
        choices=list(VARIANTS),
        help='the first one is the reference of the ratio column')
    p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument(
        '--rounds',
        type=int,
        default=2,
        help='runs of every variant, the order reversed each round')
    p.add_argument(
        '--cfg-options',
        nargs='*',
        default=[],
        help='added to every variant (e.g. other data paths)')
    p.add_argument('--json', help='also write the rows here')
    p.add_argument('--one', help=argparse.SUPPRESS)  # internal: a child
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error(f'--rounds {args.rounds}: at least 1')
    return args


def run_one(args) -> dict:
    """Train one variant in this process; return its iteration times."""
    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner

    from mmboxcaseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    total = args.warmup + args.iters
    opts = list(args.cfg_options) + [
        f'train_cfg.max_iters={total}', f'train_cfg.val_interval={total + 1}',
        f'default_hooks.checkpoint.interval={total + 1}',
        'default_hooks.logger.interval=1'
    ]
    action = DictAction(option_strings=[], dest='x')
    ns = argparse.Namespace()
    action(None, ns, opts)
    cfg.merge_from_dict(ns.x)
    cfg.merge_from_dict(variant(args.one))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.log_level = 'WARNING'
    with tempfile.TemporaryDirectory() as work:
        cfg.work_dir = work
        runner = Runner.from_cfg(cfg)
        start = time.perf_counter()
        runner.train()
        wall = time.perf_counter() - start
        times = list(runner.message_hub.get_scalar('train/time').data[0])
    return dict(variant=args.one, times=[float(t) for t in times], wall=wall)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        print('RESULT ' + json.dumps(run_one(args)), flush=True)
        return 0
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    times = {name: [] for name in args.variants}
    walls = {name: [] for name in args.variants}
    for name in schedule(args.variants, args.rounds):
        cmd = [
            sys.executable,
            osp.abspath(__file__), args.config, '--one', name, '--iters',
            str(args.iters), '--warmup',
            str(args.warmup), '--cfg-options'
        ] + list(args.cfg_options)
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        found = [
            line for line in proc.stdout.splitlines()
            if line.startswith('RESULT ')
        ]
        if proc.returncode or not found:
            sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-6000:])
            raise SystemExit(f'error: variant {name} failed '
                             f'(exit {proc.returncode})')
        res = json.loads(found[-1][len('RESULT '):])
        steady = res['times'][args.warmup:] or res['times']
        times[name] += steady
        walls[name].append(res['wall'])
        print(f'[done] {name}: {statistics.median(steady):.3f} s/iteration',
              flush=True)
    rows = [
        dict(
            variant=name,
            s_per_iter=statistics.median(times[name]),
            iters=len(times[name]),
            rounds=args.rounds,
            wall=sum(walls[name])) for name in args.variants
    ]
    ref = rows[0]['s_per_iter']
    print(f'\n{args.config}: {args.rounds} round(s) of {args.iters} timed '
          f'iterations after {args.warmup} warm-up, {args.threads} '
          'thread(s), median')
    print('| variant | s / iteration | vs ' + rows[0]['variant'] + ' |')
    print('|---|---|---|')
    for r in rows:
        r['ratio'] = r['s_per_iter'] / ref if ref > 0 else float('nan')
        print(f'| {r["variant"]} | {r["s_per_iter"]:.3f} | '
              f'{r["ratio"]:.2f}x |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
