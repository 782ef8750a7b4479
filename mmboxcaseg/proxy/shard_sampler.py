"""Which images a rank of a proxy-mask run processes, and where it resumes."""
import os.path as osp
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info
from torch.utils.data import Sampler

from mmboxcaseg.registry import DATA_SAMPLERS
from .part_file import part_path, scan_part

# cost of reading and decoding one image in units of one box (its crop,
# forward, paste): small, since the network's forward is most of a box's
# cost (docs/model_zoo.md, "throughput of stage 2")
SHARD_IMAGE_COST = 0.05


def balanced_shards(costs, world_size: int) -> np.ndarray:
    """Split images into ``world_size`` contiguous runs of equal total cost.

    Image ``i`` goes to the rank whose share of the cumulative cost holds the
    middle of its own cost: rank ``floor(W * (C_i - c_i / 2) / C)`` with
    ``C_i`` the cost of images ``0..i`` and ``C`` the total. Every rank gets
    consecutive images in data-set order (so a rank resumes after the last
    index its part file holds), and no rank carries more than its share plus
    one image's cost.

    Args:
        costs (array-like): (N,) non-negative cost of each image.
        world_size (int): number of ranks ``W``.

    Returns:
        np.ndarray: (N,) int64, the rank of each image.
    """
    costs = np.asarray(costs, dtype=np.float64).reshape(-1)
    if (costs < 0).any() or not np.isfinite(costs).all():
        raise ValueError('image costs must be finite and non-negative')
    total = costs.sum()
    if total <= 0:  # nothing to weigh: equal image counts
        costs = np.ones_like(costs)
        total = costs.sum()
    middle = np.cumsum(costs) - costs / 2
    ranks = np.floor(world_size * middle / max(total, 1e-12))
    return np.clip(ranks, 0, world_size - 1).astype(np.int64)


@DATA_SAMPLERS.register_module()
class ProxyShardSampler(Sampler):
    """Rank ``r`` of ``W`` takes a contiguous run of images of about equal
    work: the images are cut where the usable boxes (plus ``image_cost``
    per image, for reading and decoding it) reach ``r / W`` of the total
    (:func:`balanced_shards`). On the first 40 coco128 images, 2 ranks get
    158 and 159 of the 317 boxes; a split by image count
    (``r, r + W, ...``) gave them 123 and 194.

    Unlike MMEngine's ``DefaultSampler`` no image is repeated to even out
    the ranks (a repeated image would be written twice). With ``resume``,
    the rank starts after the last image its part file holds complete
    (``<parts_dir>/part-RRRRR-of-WWWWW.jsonl``, see
    :mod:`mmboxcaseg.proxy.part_file`); a resumed run must keep the world
    size (the part file names it).

    Args:
        dataset: the :class:`BoxImageDataset` (any data set works: without
            a ``skip`` array per sample every image costs the same).
        parts_dir (str, optional): the run's part folder.
        resume (bool): skip what the part file holds.
        image_cost (float): cost of one image in units of one box.
            Defaults to :data:`SHARD_IMAGE_COST`.
        seed: ignored (the order is the data set's).
    """

    def __init__(self,
                 dataset,
                 parts_dir: Optional[str] = None,
                 resume: bool = False,
                 image_cost: float = SHARD_IMAGE_COST,
                 seed: Optional[int] = None) -> None:
        self.rank, self.world_size = get_dist_info()
        costs = [
            self._boxes(dataset, i) + float(image_cost)
            for i in range(len(dataset))
        ]
        ranks = balanced_shards(costs, self.world_size)
        self.indices = np.flatnonzero(ranks == self.rank).tolist()
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

    @staticmethod
    def _boxes(dataset, idx: int) -> int:
        """Usable boxes of image ``idx`` (0 when the data set has none)."""
        get = getattr(dataset, 'get_data_info', None)
        if get is None:
            return 0
        skip = get(idx).get('skip', None)
        return 0 if skip is None else int((np.asarray(skip) == 0).sum())

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        pass
