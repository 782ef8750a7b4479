"""A Runner that keeps its environment, config and hook dumps off the
console, and whose data loader workers die with it."""
import logging
import os

from mmengine.logging import MMLogger
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmboxcaseg.registry import RUNNERS
from .loader_workers import WorkerDiesWithParent


class DumpsOffConsole(logging.Filter):
    """Refuses the three records a ``Runner`` logs when it is built: the
    system environment block, the whole config (``Runner._log_env``) and
    the list of hooks by stage, a few hundred lines that bury the progress
    on a console."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        return not (isinstance(msg, str) and msg.startswith(
            ('Config:\n', '\n' + '-' * 60 + '\nSystem environment:',
             'Hooks will be executed in the following order:')))


# one instance: ``addFilter`` skips a filter the handler already has
DUMPS_OFF_CONSOLE = DumpsOffConsole()


@RUNNERS.register_module()
class QuietRunner(Runner):
    """MMEngine's ``Runner`` whose console handler leaves out the
    environment and config dumps; the log file keeps them, and every other
    record (warnings, iteration lines with their eta, metrics) reaches both.
    Its data loader workers die with the process (a ``kill -9`` of a
    training leaves none behind: :mod:`.loader_workers`), seeded as
    MMEngine seeds them.

    ``tools/train.py``, ``tools/test.py`` and the proxy-mask converter build
    it (:func:`mmboxcaseg.utils.launch.build_runner`), on every rank.
    """

    def build_logger(self, *args, **kwargs) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        for handler in logger.handlers:
            # the console: MMLogger's StreamHandler (a FileHandler is one too)
            if type(handler) is logging.StreamHandler:
                handler.addFilter(DUMPS_OFF_CONSOLE)
        return logger

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        """MMEngine's loader, its ``worker_init_fn`` (MMEngine's seeding
        one, the config's, or none) wrapped by
        :class:`~.loader_workers.WorkerDiesWithParent`. The loops call it
        on the runner (``runner.build_dataloader``)."""
        loader = Runner.build_dataloader(dataloader, seed, diff_rank_seed)
        if isinstance(loader, DataLoader) and loader.num_workers > 0 and \
                not isinstance(loader.worker_init_fn, WorkerDiesWithParent):
            loader.worker_init_fn = WorkerDiesWithParent(
                loader.worker_init_fn, os.getpid())
        return loader
