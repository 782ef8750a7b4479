"""Turn a training checkpoint into a model file: weights only, with sha256.

    python tools/model_converters/publish_model.py work_dirs/X/iter_N.pth \\
        checkpoints/NAME.pth

Keeps ``state_dict`` and a small ``meta`` (the config it was trained with,
mmboxcaseg's version), drops the optimizer and the message hub, writes the
file atomically and its sha256 to ``NAME.pth.sha256`` (``sha256sum -c``
format), and prints both.

A checkpoint of a run with MMEngine's ``EMAHook`` holds the averaged weights
in ``state_dict`` and the raw ones in ``ema_state_dict`` (as ``module.<name>``
entries); ``--raw`` publishes the raw ones, e.g. to score both from one run.
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmboxcaseg.utils import exit_on_user_error, load_checkpoint_file
from mmboxcaseg.utils.file_digest import file_digest


@exit_on_user_error
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help='a checkpoint written by tools/train.py')
    p.add_argument('out', help='the model file to write')
    p.add_argument(
        '--raw',
        action='store_true',
        help='publish the raw weights of an EMAHook run, not the average')
    args = p.parse_args(argv)
    import mmboxcaseg  # noqa: F401  (allow-lists MMEngine's types)
    if not osp.isfile(args.src):
        print(f'error: {args.src} does not exist', file=sys.stderr)
        return 2
    if osp.abspath(args.out) == osp.abspath(args.src):
        print(f'error: {args.out} would overwrite the checkpoint it is made '
              'from; choose another name', file=sys.stderr)
        return 2
    ckpt = load_checkpoint_file(args.src)
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        print(f'error: {args.src} has no state_dict', file=sys.stderr)
        return 2
    state_dict = ckpt['state_dict']
    if args.raw:
        if 'ema_state_dict' not in ckpt:
            print(
                f'error: --raw: {args.src} has no ema_state_dict (the run '
                'had no EMAHook), so its state_dict is already the raw '
                'weights', file=sys.stderr)
            return 2
        raw = {
            k[len('module.'):]: v
            for k, v in ckpt['ema_state_dict'].items()
            if k.startswith('module.')
        }
        if set(raw) != set(state_dict):
            print(
                f'error: --raw: the ema_state_dict of {args.src} does not '
                'hold the same weights as its state_dict', file=sys.stderr)
            return 2
        state_dict = raw
    meta = ckpt.get('meta', {}) or {}
    out = dict(
        state_dict=state_dict,
        meta=dict(
            cfg=meta.get('cfg'),
            mmboxcaseg_version=mmboxcaseg.__version__,
            source=osp.basename(args.src),
            iter=meta.get('iter'),
            weights='raw' if args.raw else
            ('ema' if 'ema_state_dict' in ckpt else 'raw')))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    tmp = args.out + '.tmp'
    torch.save(out, tmp)
    os.replace(tmp, args.out)
    digest = file_digest(args.out, 'sha256')
    with open(args.out + '.sha256', 'w') as f:
        f.write(f'{digest}  {osp.basename(args.out)}\n')
    print(f'{args.out}\nsha256 {digest}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
