"""Evaluate a checkpoint with the config's test loop and metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULTS.pkl]
        [--show] [--show-dir DIR] [--wait-time S] [--tta]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Multi-process: ``tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS``.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from mmboxcaseg.utils import exit_on_user_error, register_all_modules
from mmboxcaseg.utils.launch import load_config, run_runner
from mmboxcaseg.utils.user_errors import UserError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the metrics')
    parser.add_argument(
        '--out',
        help='dump every instance (id, RLE mask, score, IoU) to a .pkl file')
    parser.add_argument(
        '--show', action='store_true', help='show the predictions')
    parser.add_argument(
        '--show-dir',
        help='save the pictures of the predictions in this folder (relative '
        'to the work dir, as in mmdet)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='seconds per shown image')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: also predict the flipped crops '
        '(model.test_cfg.flip=True)')
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
    if not osp.isfile(args.checkpoint):
        raise UserError(f'checkpoint not found: {args.checkpoint}')
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise UserError('--out must be a .pkl file')
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      args.launcher)
    if args.show or args.show_dir:
        hook = cfg.default_hooks.get('visualization', None)
        if hook is None:
            raise UserError('--show / --show-dir need '
                             'default_hooks.visualization in the config')
        hook['draw'] = True
        hook['show'] = bool(args.show)
        hook['wait_time'] = args.wait_time
        if args.show_dir:
            hook['test_out_dir'] = args.show_dir
    if args.tta:
        cfg.model.setdefault('test_cfg', {})['flip'] = True
    if args.out is not None:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            evaluator = evaluator[0]
        evaluator['out_file'] = args.out
    run_runner(cfg, 'test', args.checkpoint, args.config)


if __name__ == '__main__':
    main()
