"""Turn the boxes of a COCO json into proxy masks (BoxCaseg stage 2).

Examples::

    python tools/generate_proxy_masks.py --ann-file train.json \\
        --img-root data/coco --out train_proxy.json \\
        --config configs/boxcaseg/CFG.py --checkpoint boxcaseg.pth
    python tools/generate_proxy_masks.py ... --generator boxfill --nproc 4
    torchrun --nproc_per_node=2 tools/generate_proxy_masks.py ... \\
        --launcher pytorch

See docs/proxy_masks.md.
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Boxes of a COCO json -> proxy masks (COCO RLE), merged '
        '(smaller object better) and dropped (proxy box agreement).')
    p.add_argument('--ann-file', required=True, help='input COCO json')
    p.add_argument(
        '--img-root',
        required=True,
        help='folder the file_name of each image is relative to')
    p.add_argument('--out', required=True, help='output COCO json')
    p.add_argument(
        '--generator',
        default='boxcaseg',
        choices=['boxcaseg', 'boxfill', 'grabcut'],
        help='default: boxcaseg')
    p.add_argument('--config', help='BoxCaseg segmentor config')
    p.add_argument('--checkpoint', help='BoxCaseg segmentor checkpoint')
    p.add_argument(
        '--random-weights',
        action='store_true',
        help='run boxcaseg without a checkpoint (benchmarks only: the masks '
        'are meaningless)')
    p.add_argument(
        '--refine',
        action='store_true',
        help="refine boxcaseg's masks by GrabCut seeded from the network's "
        'probabilities (model.test_cfg.refine=dict(type="GrabCutRefine"))')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of --config, e.g. model.test_cfg.pred=mixed')
    p.add_argument(
        '--drop-thr',
        type=float,
        default=0.0,
        help='ignore masks whose proxy box agreement is below this'
        " (default 0: keep every mask; the paper's drop: 0.95)")
    p.add_argument(
        '--agreement',
        default='snapped',
        choices=['snapped', 'literal'],
        help='snapped (default): forgive a pixel of quantisation per side; '
        "literal: the paper's IoU with the float box")
    p.add_argument(
        '--no-merge',
        action='store_true',
        help='do not merge overlapping masks')
    p.add_argument(
        '--batch-size', type=int, default=4, help='images per batch')
    p.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='data loader processes per rank (decode + crop ahead)')
    p.add_argument(
        '--post-threads',
        type=int,
        default=1,
        help='threads per rank for refine / paste / merge / drop / RLE')
    p.add_argument(
        '--resume',
        action='store_true',
        help='continue from the part files of a killed run')
    p.add_argument('--report', help='report json (default: next to --out)')
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    p.add_argument(
        '--nproc',
        type=int,
        default=1,
        help='local processes (without torchrun)')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument(
        '--keep-parts',
        action='store_true',
        help='keep the per-rank part files after merging')
    p.add_argument(
        '--allow-outside-root',
        action='store_true',
        help='read images whose file_name is absolute or leaves --img-root')
    p.add_argument(
        '--allow-bad-input',
        action='store_true',
        help='go on when most boxes stick out of their image (boxes in '
        'x1,y1,x2,y2?) or most images are missing (--img-root one level '
        'off?); otherwise that stops the run')
    p.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmboxcaseg.proxy import (ProxyInputError, ProxyOptions,
                                  generate_proxy_masks)
    opts = ProxyOptions(
        ann_file=args.ann_file,
        img_root=args.img_root,
        out=args.out,
        generator=args.generator,
        config=args.config,
        checkpoint=args.checkpoint,
        random_weights=args.random_weights,
        refine=args.refine,
        cfg_options=args.cfg_options,
        drop_thr=args.drop_thr,
        agreement=args.agreement,
        merge=not args.no_merge,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        post_threads=args.post_threads,
        resume=args.resume,
        report=args.report,
        launcher=args.launcher,
        nproc=args.nproc,
        progress=not args.no_progress,
        keep_parts=args.keep_parts,
        allow_outside_root=args.allow_outside_root,
        allow_bad_input=args.allow_bad_input)
    resume = (f'rerun the same command with --resume to go on from the '
              f'images done so far (kept in {opts.parts_dir})')
    try:
        generate_proxy_masks(opts)
    except ProxyInputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f'interrupted; {resume}', file=sys.stderr)
        return 130
    except OSError as e:
        if e.filename is None:  # not a file's problem: a bug, show it all
            raise
        print(f'error: {e.filename}: {e.strerror}; fix that (e.g. free '
              f'disk space), then {resume}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
