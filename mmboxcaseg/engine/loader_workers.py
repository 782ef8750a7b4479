"""Data loader workers that die with the process that forked them.

PyTorch's loader workers outlive a parent killed by ``SIGKILL`` (the OOM
killer's signal): a worker notices the parent is gone, leaves its loop and
then waits for its result queue's feeder thread, which is blocked writing
a batch into a full pipe whose read end the worker itself still holds. It
waits for ever (threads seen: one in ``anon_pipe_write``, the main one in a
futex), holding its memory (~600 MB for a PennFudan Mask R-CNN training)
and every file the parent had open (a proxy run's lock among them).

:class:`WorkerDiesWithParent` asks Linux to send the worker ``SIGKILL``
when its parent dies (``PR_SET_PDEATHSIG``) and then calls the loader's own
``worker_init_fn``: MMEngine's seeding one (from the runner's seed and
rank) or the config's, so every random draw of a worker stays what it was.
:class:`~mmboxcaseg.engine.QuietRunner` wraps each loader it builds.
"""
import os
import signal
from typing import Callable, Optional

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent (``parent``, the
    thread that forked it) dies; exit at once if it is already gone.

    Where ``prctl`` does not exist (not Linux), nothing happens.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


class WorkerDiesWithParent:
    """A loader's ``worker_init_fn``: the worker dies with ``parent``, then
    ``init_fn(worker_id)`` runs as it would have (nothing when ``None``).

    Args:
        init_fn: the loader's ``worker_init_fn`` before wrapping.
        parent: the PID of the process that forks the workers.
    """

    def __init__(self, init_fn: Optional[Callable[[int], None]],
                 parent: int) -> None:
        self.init_fn = init_fn
        self.parent = parent

    def __call__(self, worker_id: int) -> None:
        die_with_parent(self.parent)
        if self.init_fn is not None:
            self.init_fn(worker_id)
