"""What the tools share: config, data and weight checks, runner, CPU dist."""
import datetime
import gc
import os.path as osp
import traceback
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.runner import Runner


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """Read a config for a tool: options merged, launcher and work dir set.

    The work dir is ``work_dir``, else the config's, else
    ``./work_dirs/<config name>``.

    Raises:
        UserError: the config file does not exist (a tool decorated with
            ``exit_on_user_error`` ends with this one line).
    """
    if not osp.isfile(config):
        from .user_errors import UserError
        raise UserError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def prepare_distributed(cfg: Config) -> None:
    """Make a multi-process launch work on a machine without CUDA.

    MMEngine's defaults assume one GPU per process: the NCCL backend,
    ``torch.cuda.set_device(LOCAL_RANK)`` in ``init_dist`` and DDP with
    ``device_ids=[LOCAL_RANK]``. Without CUDA we switch to gloo, start the
    process group ourselves (MMEngine then skips its own ``init_dist``) and
    let DDP wrap a CPU module (``device_ids=None``). With CUDA, nothing
    changes.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', dict())
    dist_cfg = env_cfg.setdefault('dist_cfg', dict())
    dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg', None) or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if cfg.launcher == 'pytorch' and not dist.is_initialized():
        timeout = dist_cfg.get('timeout', None)
        kwargs = dict(timeout=datetime.timedelta(seconds=timeout)) \
            if timeout is not None else dict()
        dist.init_process_group(backend='gloo', **kwargs)  # env:// (torchrun)


def shutdown_distributed() -> None:
    """End the process group so that nothing of it lives at interpreter
    exit.

    With gloo, a process that reaches interpreter finalisation with the
    group's C++ backend alive can abort (SIGABRT, torchrun's
    ``exitcode: -6``): the backend's worker
    threads (``pt_gloo_runloop``, ``gloo_tcp_loop``) are torn down while the
    interpreter is half gone, and work objects that reference Python objects
    need the GIL of a dying interpreter. ``destroy_process_group()`` alone
    does not prevent it: it drops only c10d's own references, and the
    DDP wrapper of a runner (its reducer holds the group) lives on in the
    runner's reference cycles (loops, hooks) until the interpreter
    collects them during finalisation. So the cycles are collected first and
    the group destroyed second, which drops its last reference: the backend
    and its threads end here, while the interpreter is whole. The runner
    must be unreachable by then (see :func:`run_runner`). The race shows
    rarely, more often on a loaded machine; the threads it needs are alive
    at exit every time unless they are ended here (the 2-process tests'
    exit probe checks that).
    """
    gc.collect()
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def run_runner(cfg: Config,
               step: str,
               checkpoint: Optional[str] = None,
               config_name: Optional[str] = None) -> None:
    """Build the runner of ``cfg``, load ``checkpoint`` (every key must
    match) and run ``runner.<step>()`` (``'train'`` or ``'test'``): in this
    process, or as one rank of a multi-process launch.

    The runner lives only in a frame of this call, so that
    :func:`shutdown_distributed` can free it, and the process group it
    holds, before the interpreter exits (see there why). On an error the
    frames of the traceback are cleared of their locals (``self`` of the
    runner's methods), which keeps the traceback printable.

    Raises:
        UserError: the config (``config_name``) cannot be built, or the
            checkpoint is refused.
    """
    prepare_distributed(cfg)
    try:
        _build_and_run(cfg, step, checkpoint, config_name)
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)
        raise
    finally:
        shutdown_distributed()


# the data loaders each step reads
STEP_LOADERS = dict(train=('train_dataloader', 'val_dataloader'),
                    test=('test_dataloader', ))
# what to run when a data set under data/ is missing
FETCH_HINT = ('python tools/misc/download_dataset.py --dataset-name {name} '
              '--save-dir data --unzip (on a machine that holds the sets: '
              'ln -s /path/to/the/sets data)')
# the downloader's name of a set whose folder under data/ has another name
FETCH_NAMES = dict(coco='coco2017', voc='voc2012', DUTS='duts')


def _config_dicts(node):
    """Every dict of a config node, nested ones (``datasets=[...]``,
    ``dataset=...``, ``init_cfg=...``) included, in config order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _config_dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _config_dicts(value)


def _data_paths(dataset) -> list:
    """Every ``data_root`` and ``data_root``-joined ``ann_file`` of a data
    set config, nested ones included, in config order."""
    found = []
    for node in _config_dicts(dataset):
        root = node.get('data_root', None)
        ann = node.get('ann_file', None)
        if isinstance(root, str) and root:
            found.append(root)
        if isinstance(ann, str) and ann:
            found.append(ann if osp.isabs(ann) or not isinstance(root, str)
                         else osp.join(root, ann))
    return found


def check_data(cfg: Config, step: str) -> None:
    """Stop before the runner is built when a data root or annotation file
    that ``step`` reads does not exist, naming the path, the loader and
    (for a set under ``data/``) the command that fetches it.

    Raises:
        UserError: the first missing path.
    """
    from .user_errors import UserError
    for loader in STEP_LOADERS.get(step, ()):
        dataset = (cfg.get(loader, None) or {}).get('dataset', None)
        for path in _data_paths(dataset):
            if osp.exists(path):
                continue
            parts = osp.normpath(path).split(osp.sep)
            hint = ''
            if len(parts) > 1 and parts[0] == 'data':
                hint = '; fetch it: ' + FETCH_HINT.format(
                    name=FETCH_NAMES.get(parts[1], parts[1]))
            raise UserError(f'{loader}: data not found: {path}{hint}')


# the tool that makes a local initial checkpoint our configs name
MAKE_WEIGHTS = {
    'efficientnet_lite0_mmboxcaseg.pth':
    'python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py '
    '--out {path}',
}


def _init_checkpoints(node) -> list:
    """Every local ``checkpoint`` of a ``Pretrained`` init_cfg in
    ``node`` (URLs and ``scheme://`` names are left to MMEngine)."""
    return [
        d['checkpoint'] for d in _config_dicts(node)
        if d.get('type', None) == 'Pretrained'
        and isinstance(d.get('checkpoint', None), str)
        and '://' not in d['checkpoint']
    ]


def check_init_weights(cfg: Config, step: str) -> None:
    """Stop before training when an initial checkpoint the model names
    (``init_cfg=dict(type='Pretrained', checkpoint=...)``) is missing,
    naming the tool that makes it or how to start from random weights.

    Raises:
        UserError: the first missing file.
    """
    if step != 'train':  # testing loads the trained weights over them
        return
    from .user_errors import UserError
    for path in _init_checkpoints(cfg.get('model', None)):
        if osp.isfile(path):
            continue
        make = MAKE_WEIGHTS.get(osp.basename(path), None)
        how = (f'make it: {make.format(path=path)}' if make else
               'put it there, or pass --cfg-options '
               'model.backbone.init_cfg=None to train from random weights')
        raise UserError(f'initial weights not found: {path}; {how}')


def _build_and_run(cfg: Config, step: str, checkpoint: Optional[str],
                   config_name: Optional[str]) -> None:
    from .user_errors import config_errors
    check_data(cfg, step)
    check_init_weights(cfg, step)
    if checkpoint is not None:
        cfg.load_from = None  # the checkpoint given replaces the config's
    with config_errors(config_name or cfg.filename or 'config'):
        runner = build_runner(cfg)
    if checkpoint is not None:
        load_weights(runner, checkpoint)
    getattr(runner, step)()


def flush_denormals() -> None:
    """Treat subnormal floats as zero on the CPU (x86 FTZ/DAZ).

    Training BoxCaseg on a CPU produced subnormal values (heads and weight
    transfer start from N(0, 0.001) / N(0, 0.01)); arithmetic on them is
    microcoded, which made a training step several times slower. Values
    below 1.2e-38 become 0.
    """
    torch.set_flush_denormal(True)


def build_runner(cfg: Config) -> Runner:
    """The registered runner of ``runner_type``, else a
    :class:`~mmboxcaseg.engine.QuietRunner` (its console leaves out the
    environment and config dumps; the log file keeps them)."""
    flush_denormals()
    from mmboxcaseg.registry import RUNNERS
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    # by name: the registry imports mmboxcaseg.engine (a higher layer)
    return RUNNERS.get('mmboxcaseg.QuietRunner').from_cfg(cfg)


def load_weights(runner: Runner, checkpoint: str) -> None:
    """Load weights into a runner's model; every key must match.

    Only the model's weights, before the run starts, so that a refused
    file stops it before anything is written; the runner's hooks are not
    called (``after_load_checkpoint`` is MMEngine's to call after
    ``before_run``: ``EMAHook``'s needs the average it makes there, and
    a checkpoint's ``state_dict`` holds the averaged weights already).

    Raises:
        CheckpointRefused: the file holds types that are not allowed, or its
            weights do not fit the model (the message says which and why).
    """
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import load_checkpoint

    from .checkpoint import load_strictly
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    load_strictly(
        lambda: load_checkpoint(
            model, checkpoint, map_location='cpu', strict=True,
            logger=runner.logger), checkpoint)
