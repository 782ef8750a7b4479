"""Train a model (BoxCaseg segmentor or Proxy Mask R-CNN) with MMEngine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Multi-process: ``tools/dist_train.sh CONFIG NUM_PROCS`` (torchrun; gloo on CPU).
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmboxcaseg.utils import exit_on_user_error, register_all_modules
from mmboxcaseg.utils.launch import load_config, run_runner
from mmboxcaseg.utils.user_errors import UserError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the actual batch size (needs auto_scale_lr)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from CKPT; without a path, from the latest checkpoint '
        'in the work dir')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value (a.b=1, a=[1,2])')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


@exit_on_user_error
def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)

    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or \
                'base_batch_size' not in cfg.auto_scale_lr:
            raise UserError('--auto-scale-lr needs `auto_scale_lr = dict('
                             'enable=..., base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise UserError(f'checkpoint to resume from not found: '
                             f'{args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume

    run_runner(cfg, 'train', config_name=args.config)


if __name__ == '__main__':
    main()
