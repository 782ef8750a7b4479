"""Turn the boxes of a COCO json into proxy masks (BoxCaseg stage 2).

Examples::

    python tools/generate_proxy_masks.py --ann-file train.json \\
        --img-root data/coco --out train_proxy.json \\
        --config configs/boxcaseg/CFG.py --checkpoint boxcaseg.pth
    bash tools/dist_proxy.sh 4 --ann-file train.json ... --generator boxfill

See docs/proxy_masks.md.
"""
import argparse
import sys
from dataclasses import fields

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
        'probabilities, decided per box (model.test_cfg.refine=dict('
        'type="GrabCutRefine"); the CPU configs set it already)')
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
        '--drop-score-thr',
        type=float,
        default=0.0,
        help="also ignore masks whose score (the json's score: certainty x "
        "GrabCut's agreement x (1 - the box's largest IoU with another), "
        "or a quality head's IoU) is below this (default 0: none)")
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
    p.add_argument(
        '--val-ann-file',
        help='COCO json with real masks: the written Mask R-CNN config '
        'validates on it (default: no validation)')
    p.add_argument(
        '--val-img-root',
        help='image folder of --val-ann-file (default: --img-root)')
    p.add_argument(
        '--mask-rcnn-base',
        default=None,
        help='our config (relative to configs/) the written Mask R-CNN '
        'config inherits (default: the CPU recipe, proxy_mask_rcnn/'
        'proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py)')
    p.add_argument(
        '--no-mask-rcnn-config',
        action='store_true',
        help='write no Mask R-CNN config next to --out (a chain that '
        'trains its own detector configs, e.g. make e2e)')
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    p.add_argument('--nproc', help=argparse.SUPPRESS, type=lambda _: p.error(
        '--nproc is gone; N ranks: bash tools/dist_proxy.sh N <flags>'))
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
        '--show-dir',
        help='after the run, write DIR/<image>.jpg (each mask: colour, '
        'outline, score; dropped ones dashed) and DIR/lowest_scores.jpg '
        '(the lowest-scoring masks, ascending)')
    p.add_argument(
        '--show-max',
        type=int,
        default=100,
        help='overlays of at most this many images, the lowest image ids '
        '(default 100; the contact sheet covers every image)')
    p.add_argument(
        '--show-lowest',
        type=int,
        default=24,
        help='masks on the contact sheet (default 24)')
    p.add_argument(
        '--local_rank',
        '--local-rank',
        type=int,
        default=0,
        help=argparse.SUPPRESS)
    return p.parse_args(argv)


def check_stage3_args(args) -> None:
    """The files the written Mask R-CNN config will name exist."""
    import os.path as osp

    from mmboxcaseg.proxy import ProxyInputError
    from mmboxcaseg.proxy.mask_rcnn_config import (DEFAULT_BASE,
                                                   MaskRCNNConfigError,
                                                   shipped_config)
    for flag, path, isit in (('--val-ann-file', args.val_ann_file,
                              osp.isfile), ('--val-img-root',
                                            args.val_img_root, osp.isdir)):
        if path is not None and not isit(path):
            raise ProxyInputError(f'{flag} {path}: not found')
    try:
        shipped_config(args.mask_rcnn_base or DEFAULT_BASE)
    except MaskRCNNConfigError as e:
        raise ProxyInputError(f'--mask-rcnn-base: {e}') from None


def write_stage3_config(args, report: dict) -> None:
    """Write the Mask R-CNN config of the proxy json (see
    mmboxcaseg/proxy/mask_rcnn_config.py) with the classes of the run's
    report and say how to train it."""
    from mmboxcaseg.proxy import ProxyInputError
    from mmboxcaseg.proxy.mask_rcnn_config import (DEFAULT_BASE,
                                                   MaskRCNNConfigError,
                                                   write_mask_rcnn_config)
    try:
        path = write_mask_rcnn_config(
            args.out,
            args.img_root,
            report['classes'],
            base=args.mask_rcnn_base or DEFAULT_BASE,
            val_ann_file=args.val_ann_file,
            val_img_root=args.val_img_root)
    except MaskRCNNConfigError as e:
        raise ProxyInputError(str(e)) from None
    print(f'Mask R-CNN config for these proxies: {path}\n'
          f'  train it: python tools/train.py {path}')


def check_show_dir(args) -> None:
    """--show-dir can be a folder (checked before converting)."""
    from mmboxcaseg.proxy import ProxyInputError
    from mmboxcaseg.utils import UserError, check_dir
    if args.show_dir:
        try:
            check_dir(args.show_dir, '--show-dir')
        except UserError as e:
            raise ProxyInputError(str(e)) from None


def write_pictures(args) -> None:
    """The --show-dir pictures of the written proxy json."""
    from mmboxcaseg.visualization.proxy_pictures import write_proxy_pictures
    done = write_proxy_pictures(args.out, args.img_root, args.show_dir,
                                args.show_max, args.show_lowest)
    skipped = len(done['unreadable'])
    print(f'{done["overlays"]} overlays and a sheet of the '
          f'{len(done["lowest"])} lowest-scoring masks in {args.show_dir}/'
          + (f' ({skipped} unreadable images skipped)' if skipped else ''))


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmboxcaseg.proxy import (ProxyInputError, ProxyOptions,
                                  generate_proxy_masks)
    # ProxyOptions' fields are the flags' names; two flags are negated
    opts = ProxyOptions(
        merge=not args.no_merge,
        progress=not args.no_progress,
        **{
            f.name: getattr(args, f.name)
            for f in fields(ProxyOptions) if hasattr(args, f.name)
        })
    resume = (f'rerun the same command with --resume to go on from the '
              f'images done so far (kept in {opts.parts_dir})')
    try:
        if not args.no_mask_rcnn_config:
            check_stage3_args(args)  # before hours of conversion, not after
        check_show_dir(args)
        report = generate_proxy_masks(opts)
        if report is not None:  # rank 0 of a finished run
            if not args.no_mask_rcnn_config:
                write_stage3_config(args, report)
            if args.show_dir:
                write_pictures(args)
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
