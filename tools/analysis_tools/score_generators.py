"""Score every box -> mask generator on every development set, side by side.

Each row is one run of the proxy-mask engine (``generate_proxy_masks``,
no merge, no drop) whose report compares every proxy with its GT mask::

    python tools/analysis_tools/score_generators.py \\
        --set coco128=data/coco128/annotations.json:data/coco128:CFG:CKPT \\
        --set pennfudan=data/pennfudan/annotations_all.json:data/pennfudan:CFG2:CKPT2 \\
        --preds weak mixed all --refine --out-json work_dirs/scores.json

A set is ``name=ann_file:img_root[:config:checkpoint]``; without a model
only ``boxfill`` and ``grabcut`` run. ``--cfg-options`` reach every
boxcaseg row (e.g. ``model.test_cfg.mask_thr=0.35`` for a threshold sweep);
``--preds`` sets ``model.test_cfg.pred`` per row on top of them; each such
row refines as its config says (the CPU configs: per box), and ``--refine``
adds a row without refinement and one with every box refined. Prints
mIoU*, IoU@50, IoU@75 and instances/s (whole runs, model loading included)
per set and generator. ``--nproc N`` runs each row as N ranks of
``tools/dist_proxy.sh`` (torchrun).
"""
import argparse
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import tempfile
import time

from mmengine.config import DictAction
from terminaltables import AsciiTable

from mmboxcaseg.utils import (UserError, check_out_file, exit_on_user_error,
                              make_dir)


def parse_set(text: str):
    try:
        name, rest = text.split('=', 1)
        parts = rest.split(':')
        ann, root = parts[0], parts[1]
        cfg, ckpt = (parts[2], parts[3]) if len(parts) >= 4 else (None, None)
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(
            f'--set {text!r}: expected name=ann_file:img_root'
            '[:config:checkpoint]') from None
    return dict(name=name, ann=ann, root=root, config=cfg, checkpoint=ckpt)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--set', type=parse_set, action='append', required=True)
    p.add_argument(
        '--generators',
        nargs='+',
        default=['boxfill', 'grabcut', 'boxcaseg'],
        choices=['boxfill', 'grabcut', 'boxcaseg'])
    p.add_argument(
        '--preds',
        nargs='+',
        default=['weak', 'mixed', 'all'],
        help='test_cfg.pred values of boxcaseg rows')
    p.add_argument(
        '--refine',
        action='store_true',
        help="beside each boxcaseg row (the config's refinement: the CPU "
        'configs decide per box), one without refinement and one with '
        'every box refined')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override the boxcaseg configs (all sets), key=value')
    p.add_argument(
        '--nproc', type=int, default=1,
        help='ranks per run (by tools/dist_proxy.sh)')
    p.add_argument('--out-json', help='write the table as json')
    p.add_argument('--work-dir', help='keep the proxy files here')
    return p.parse_args(argv)


def runs(args):
    for s in args.set:
        for gen in args.generators:
            if gen != 'boxcaseg':
                yield s, gen, None, False
                continue
            if not s['config']:
                continue
            for pred in args.preds:
                yield s, gen, pred, None
                if args.refine:
                    yield s, gen, pred, 'none'
                    yield s, gen, pred, 'every'


def dist_proxy(opts, nproc: int) -> dict:
    """The report of ``opts`` run as ``nproc`` ranks of
    ``tools/dist_proxy.sh`` (the converter's own flags)."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    argv = ['--ann-file', opts.ann_file, '--img-root', opts.img_root,
            '--out', opts.out, '--generator', opts.generator,
            '--drop-thr', str(opts.drop_thr), '--num-workers',
            str(opts.num_workers), '--post-threads',
            str(opts.post_threads), '--no-progress']
    argv += ['--random-weights'] if opts.random_weights else []
    argv += ['--no-merge'] if not opts.merge else []
    argv += ['--refine'] if opts.refine else []
    for flag, value in (('--config', opts.config),
                        ('--checkpoint', opts.checkpoint)):
        argv += [flag, value] if value else []
    if opts.cfg_options:
        argv += ['--cfg-options'] + [
            f'{k}={v}' for k, v in opts.cfg_options.items()]
    with socket.socket() as s:  # a free rendezvous port
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port))
    proc = subprocess.run(
        ['bash', osp.join(root, 'tools', 'dist_proxy.sh'), str(nproc)] +
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    if proc.returncode:
        raise UserError(f'tools/dist_proxy.sh {nproc} {" ".join(argv)} '
                        f'failed: {proc.stderr.strip()[-2000:]}')
    with open(opts.report_path) as f:
        return json.load(f)


# the refinement rows of --refine: their label and --cfg-options
REFINEMENTS = {
    None: ('', {}),
    'none': (', no refinement', {'model.test_cfg.refine': None}),
    'every': (', every box refined', {
        'model.test_cfg.refine.min_size': 0,
        'model.test_cfg.refine.min_agreement': 0
    }),
}


def _cfg_options(args, pred, refine=None):
    opts = dict(args.cfg_options or {})
    opts['model.test_cfg.pred'] = pred
    opts.update(REFINEMENTS[refine][1])
    return opts


@exit_on_user_error
def main(argv=None) -> int:
    args = parse_args(argv)
    from mmboxcaseg.proxy import (ProxyInputError, ProxyOptions,
                                  generate_proxy_masks)
    if args.out_json:
        check_out_file(args.out_json, '--out-json')
    work = make_dir(args.work_dir, '--work-dir') if args.work_dir else \
        tempfile.mkdtemp(prefix='score_generators_')
    rows, table = [], [[
        'set', 'generator', 'mIoU*', 'IoU@50', 'IoU@75', 'instances',
        'instances/s'
    ]]
    for s, gen, pred, refine in runs(args):
        label = gen if pred is None else \
            f'boxcaseg {pred}{REFINEMENTS[refine][0]}'
        name = label.replace(',', '').replace(' ', '_')
        out = osp.join(work, f'{s["name"]}_{name}.json')
        opts = ProxyOptions(
            ann_file=s['ann'],
            img_root=s['root'],
            out=out,
            generator=gen,
            config=s['config'] if gen == 'boxcaseg' else None,
            checkpoint=s['checkpoint'] if gen == 'boxcaseg' else None,
            cfg_options=(_cfg_options(args, pred, refine)
                         if gen == 'boxcaseg' else None),
            refine=refine == 'every',
            merge=False,
            drop_thr=0.0,
            progress=False)
        start = time.perf_counter()
        try:
            report = generate_proxy_masks(opts) if args.nproc == 1 else \
                dist_proxy(opts, args.nproc)
        except ProxyInputError as e:
            print(f'error: {e}', file=sys.stderr)
            return 2
        wall = time.perf_counter() - start
        if 'quality' not in report:  # no instance with a usable GT mask
            raise UserError(
                f'--set {s["name"]}: {s["ann"]} has no GT masks to score '
                'the proxies against; score_generators needs a set whose '
                'annotations have masks (segmentation)')
        q = report['quality']['all']
        row = dict(
            set=s['name'],
            generator=label,
            **{k: q.get(k)
               for k in ('mIoU*', 'IoU@50', 'IoU@75')},
            instances=report['processed'],
            instances_per_s=report['processed'] / max(wall, 1e-9))
        rows.append(row)
        table.append([
            row['set'], label, f'{row["mIoU*"]:.1f}', f'{row["IoU@50"]:.1f}',
            f'{row["IoU@75"]:.1f}', row['instances'],
            f'{row["instances_per_s"]:.1f}'
        ])
        print(AsciiTable(table[-1:]).table, flush=True)
    print(AsciiTable(table, 'box -> mask quality vs GT masks').table)
    if args.out_json:
        make_dir(osp.dirname(osp.abspath(args.out_json)), '--out-json')
        with open(args.out_json, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
