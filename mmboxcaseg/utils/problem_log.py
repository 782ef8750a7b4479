"""Name the first few problems of each kind in the log, count them all.

A data set with a systematic fault (a wrong image folder, a converter bug)
has thousands of problems of one reason: the log names the first
``limit`` of each reason so that the fault can be found, and the counts
say how big it is.
"""
import logging
from collections import Counter

from mmengine.logging import print_log

SHOW = 5  # problems named one by one per reason; the rest are counted


class ProblemLog:
    """Count problems by reason; log the first ``limit`` of each reason.

    Args:
        limit (int): messages logged per reason.
        verbose (bool): log at all (False: only count).
    """

    def __init__(self, limit: int = SHOW, verbose: bool = True) -> None:
        self.limit = int(limit)
        self.verbose = bool(verbose)
        self.counts: Counter = Counter()

    def __call__(self, reason: str, msg: str) -> None:
        """Count one problem of ``reason``; log ``[reason] msg`` while the
        reason has had at most ``limit`` problems."""
        self.counts[reason] += 1
        if self.verbose and self.counts[reason] <= self.limit:
            print_log(f'[{reason}] {msg}', logger='current',
                      level=logging.WARNING)

    @property
    def total(self) -> int:
        """Problems counted, all reasons."""
        return sum(self.counts.values())
