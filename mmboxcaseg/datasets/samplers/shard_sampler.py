"""Which images a rank of a proxy-mask run processes, and where it resumes."""
import os.path as osp
from typing import Iterator, Optional

from mmengine.dist import get_dist_info
from torch.utils.data import Sampler

from mmboxcaseg.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ProxyShardSampler(Sampler):
    """Rank ``r`` of ``W`` takes images ``r, r + W, r + 2W, ...`` in order.

    Unlike MMEngine's ``DefaultSampler`` no image is repeated to even out
    the ranks (a repeated image would be written twice). With ``resume``,
    the rank starts after the last image its part file holds complete
    (``<parts_dir>/part-RRRRR-of-WWWWW.jsonl``, see
    :mod:`mmboxcaseg.proxy.part_file`).

    Args:
        dataset: the :class:`BoxImageDataset`.
        parts_dir (str, optional): the run's part folder.
        resume (bool): skip what the part file holds.
        seed: ignored (the order is the data set's).
    """

    def __init__(self,
                 dataset,
                 parts_dir: Optional[str] = None,
                 resume: bool = False,
                 seed: Optional[int] = None) -> None:
        from mmboxcaseg.proxy.part_file import part_path, scan_part
        self.rank, self.world_size = get_dist_info()
        self.indices = list(range(self.rank, len(dataset), self.world_size))
        self.skipped = 0
        if resume and parts_dir:
            path = part_path(parts_dir, self.rank, self.world_size)
            if osp.isfile(path):
                state = scan_part(path)
                if state.header is not None and state.images:
                    start = next((k for k, i in enumerate(self.indices)
                                  if i > state.last_idx), len(self.indices))
                    self.skipped = start
                    self.indices = self.indices[start:]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        pass
