"""What ``tools/train.py`` and ``tools/test.py`` share: config, runner, CPU dist."""
import datetime
import os.path as osp
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
    ``./work_dirs/<config name>``. A missing file ends the tool with a
    one-line message.
    """
    if not osp.isfile(config):
        raise SystemExit(f'config file not found: {config}')
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
    """Destroy the default process group before the interpreter exits.

    MMEngine never does. With gloo, a process that exits with the group alive
    can abort at interpreter shutdown ("terminate called without an active
    exception", SIGABRT, torchrun's ``exitcode: -6``): gloo's C++ worker
    threads still hold work objects whose tensors reference Python objects,
    and destroying them during finalisation needs the GIL of a dying
    interpreter. It shows only when a worker thread happens to hold such an
    object at exit, so rarely and more often on a loaded machine. Tools call
    this in a ``finally`` block, so every exit path (success, error, Ctrl-C)
    tears the group down while the interpreter is whole.
    """
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def flush_denormals() -> None:
    """Treat subnormal floats as zero on the CPU (x86 FTZ/DAZ).

    Training BoxCaseg on a CPU produced subnormal values (heads and weight
    transfer start from N(0, 0.001) / N(0, 0.01)); arithmetic on them is
    microcoded and made a training step 3-10x slower (measured: 2.8 s vs
    0.8 s for 16 x 160^2 crops, 2 threads). Values below 1.2e-38 become 0.
    """
    torch.set_flush_denormal(True)


def build_runner(cfg: Config) -> Runner:
    """``Runner.from_cfg``, or the registered runner of ``runner_type``."""
    flush_denormals()
    if 'runner_type' in cfg:
        from mmboxcaseg.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def load_weights(runner: Runner, checkpoint: str) -> None:
    """Load weights into a runner's model; every key must match.

    Raises:
        CheckpointRefused: the file holds types that are not allowed, or its
            weights do not fit the model (the message says which and why).
    """
    from .checkpoint import load_strictly
    load_strictly(lambda: runner.load_checkpoint(checkpoint, strict=True),
                  checkpoint)
