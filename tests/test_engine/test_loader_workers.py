"""The runner's data loader workers die with it and are seeded as
MMEngine seeds them."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset
from two_processes import alive as _alive

from mmboxcaseg.engine import QuietRunner
from mmboxcaseg.engine.loader_workers import WorkerDiesWithParent

REPO = Path(__file__).resolve().parents[2]


class RandomDraws(Dataset):
    """Each item: what the worker's three generators draw for it."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        return torch.tensor([
            random.random(),
            np.random.rand(),
            torch.rand(1).item(),
            float(torch.utils.data.get_worker_info().id)
        ], dtype=torch.float64)


def _loader_cfg(**kw):
    return dict(dataset=RandomDraws(), batch_size=2, num_workers=2,
                sampler=dict(type='DefaultSampler', shuffle=True),
                collate_fn=dict(type='default_collate'), **kw)


def _draws(runner_cls, **kw):
    loader = runner_cls.build_dataloader(_loader_cfg(), **kw)
    return loader, torch.cat(list(loader))


@pytest.mark.parametrize('diff_rank_seed', [False, True])
def test_workers_draw_what_mmengine_workers_draw(diff_rank_seed):
    ours, got = _draws(QuietRunner, seed=7, diff_rank_seed=diff_rank_seed)
    stock, want = _draws(Runner, seed=7, diff_rank_seed=diff_rank_seed)
    assert isinstance(ours.worker_init_fn, WorkerDiesWithParent)
    assert not isinstance(stock.worker_init_fn, WorkerDiesWithParent)
    assert got.shape == (12, 4) and set(got[:, 3].tolist()) == {0, 1}
    assert torch.equal(got, want)  # every draw of every worker, bit for bit
    _, other = _draws(QuietRunner, seed=8, diff_rank_seed=diff_rank_seed)
    assert not torch.equal(other[:, :3], got[:, :3])  # the seed is used


def test_a_config_worker_init_fn_still_runs():
    cfg = _loader_cfg(worker_init_fn=dict(type=_seed_all, base=100))
    loader = QuietRunner.build_dataloader(cfg, seed=7)
    assert isinstance(loader.worker_init_fn, WorkerDiesWithParent)
    got = torch.cat(list(loader))
    for row in got.tolist():  # each worker seeded by _seed_all alone
        random.seed(100 + int(row[3]))
        assert row[0] in [random.random() for _ in range(12)]
    # no workers, nothing to wrap
    loader = QuietRunner.build_dataloader(dict(_loader_cfg(), num_workers=0))
    assert loader.worker_init_fn is None


def _seed_all(worker_id, base):
    random.seed(base + worker_id)


class _Toy(nn.Module):

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def train_step(self, data, optim_wrapper):
        return dict(loss=self.w.sum())


def test_the_train_loop_loader_is_wrapped(tmp_path):
    runner = QuietRunner(
        model=_Toy(), work_dir=str(tmp_path), train_dataloader=_loader_cfg(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=1),
        randomness=dict(seed=3), default_hooks=dict(logger=None),
        default_scope='mmboxcaseg')  # the suite's scope (a global)
    loader = runner.train_loop.dataloader
    assert isinstance(loader.worker_init_fn, WorkerDiesWithParent)
    assert loader.worker_init_fn.parent == os.getpid()


# a process that reads one batch of 1 MB items through a loader with one
# worker, prints the worker's PID and waits: the worker's next item fills
# the result pipe (64 KB) that nobody reads any more
HOLDER = textwrap.dedent('''
    import os, sys, time
    import numpy as np
    from torch.utils.data import Dataset
    from mmengine.runner import Runner
    from mmboxcaseg.engine import QuietRunner

    class Big(Dataset):
        def __len__(self):
            return 64
        def __getitem__(self, i):
            return dict(pid=os.getpid(), data=np.ones(1 << 20, np.uint8))

    runner = QuietRunner if sys.argv[1] == 'ours' else Runner
    loader = runner.build_dataloader(
        dict(dataset=Big(), batch_size=1, num_workers=1,
             sampler=dict(type='DefaultSampler', shuffle=False)), seed=0)
    batches = iter(loader)  # numpy arrays: pickled into the pipe
    pid = next(batches)['pid'][0]
    time.sleep(1)  # the worker puts the next items while this one lives
    print(pid, flush=True)
    time.sleep(600)
''')


def _worker_after_kill_9(which):
    """Whether the worker still lives 8 s after its parent's ``kill -9``
    (PyTorch's workers look for their parent every 5 s)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH',
                                                            '')])
    proc = subprocess.Popen([sys.executable, '-c', HOLDER, which], env=env,
                            stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        worker = int(proc.stdout.readline())
        assert _alive(worker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 8
        while time.time() < deadline and _alive(worker):
            time.sleep(0.2)
        return _alive(worker)
    finally:
        proc.kill()
        proc.wait()
        if worker is not None and _alive(worker):
            os.kill(worker, signal.SIGKILL)


def test_kill_9_leaves_no_loader_worker():
    assert not _worker_after_kill_9('ours')
    # MMEngine's own runner leaves it behind: the test can tell
    assert _worker_after_kill_9('stock')
