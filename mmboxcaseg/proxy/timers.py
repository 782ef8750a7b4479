"""Always-on stage timers of the proxy-mask converter."""
import time
from collections import defaultdict
from contextlib import contextmanager
from typing import Dict, Iterable

# Stages in pipeline order; 'setup' builds the generator (e.g. loads the
# model), 'load' is the time spent *waiting* for an image (decoding runs
# ahead in threads).
STAGES = ('setup', 'load', 'inference', 'paste', 'merge', 'drop', 'rle',
          'gt_iou', 'write')


class StageTimers:
    """Accumulated wall time per stage, in seconds (``perf_counter``).

    Example:
        >>> timers = StageTimers()
        >>> with timers('merge'):
        ...     pass
        >>> timers.seconds['merge'] >= 0
        True
    """

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start

    def as_dict(self) -> Dict[str, float]:
        return {
            k: float(self.seconds.get(k, 0.0))
            for k in STAGES
        } | {
            k: float(v)
            for k, v in self.seconds.items() if k not in STAGES
        }

    @staticmethod
    def total(dicts: Iterable[Dict[str, float]]) -> Dict[str, float]:
        """Sum of several ``as_dict()`` results (e.g. of all shards)."""
        out: Dict[str, float] = defaultdict(float)
        for d in dicts:
            for k, v in d.items():
                out[k] += v
        return dict(out)
