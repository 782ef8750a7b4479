"""Mini-batches with a fixed box : salient ratio (the paper's Table 5).

Every *global* batch (``batch_size * world_size`` samples over all ranks)
holds exactly ``num_box`` box samples and ``num_salient`` salient samples,
with ``box_ratio = (a, b)`` scaled to the global batch size (e.g. ``(11, 5)``
per 16 -> 22 : 10 per 32). One epoch is one pass over the salient set in a
fresh random order (no salient sample repeats; the last incomplete batch is
dropped). Box samples come from an endless stream of random permutations of
the box set that continues from epoch to epoch, so no box repeats before all
boxes were drawn, and all boxes are seen over the epochs. Everything depends
on ``(seed, epoch)`` only, so all ranks agree without communication.

Rank ``r`` takes ``global_batch[r::world_size]`` of the global batch laid out
as ``[boxes..., salients...]``: when ``world_size`` divides both counts every
rank gets the same split (11 : 5 on each of 2 GPUs), otherwise the split
differs by at most one between ranks while the global ratio stays exact.

Use it over ``ConcatDataset`` of a box set and a salient set::

    train_dataloader = dict(
        batch_size=16,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='RatioBatchSampler', box_ratio=(9, 7)),
        dataset=dict(type='ConcatDataset', datasets=[box_set, salient_set]))

MMEngine's ``Runner.build_dataloader`` passes ``sampler=`` (built over the
concatenated set) and ``batch_size=`` (per rank). The sampler gives the
dataset and the seed; its ``set_epoch`` (called by ``DistSamplerSeedHook``
in epoch-based loops and by the iteration-based loop's re-iteration, through
``dataloader.batch_sampler.sampler``) gives the epoch. A sub-set is a box or
salient pool by its ``source`` attribute (``BoxCropDataset.source = 'box'``,
``SalientDataset.source = 'salient'``; a wrapper's inner ``dataset`` is
looked at too) unless ``sources`` names them.

Why not mmdet's ``MultiSourceSampler(source_ratio=...)``: it is an endless
stream, so an epoch-based loop (the paper's "40 epochs" of one pass over
the salient set each) never ends an epoch, and it rounds the ratio per
rank, so 11 : 5 per 16 on 2 ranks of 8 becomes 12 : 4. Both are shown by
``test_what_mmdets_multi_source_sampler_cannot_give``.
"""
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import BatchSampler, Sampler

from mmboxcaseg.registry import DATA_SAMPLERS
from mmboxcaseg.structures import SOURCES


def _source_of(dataset) -> Optional[str]:
    for d in (dataset, getattr(dataset, 'dataset', None)):
        src = getattr(d, 'source', None)
        if src in SOURCES:
            return src
    return None


@DATA_SAMPLERS.register_module()
class RatioBatchSampler(BatchSampler):
    """Batches with an exact box : salient ratio per global batch.

    Args:
        sampler (Sampler): sampler over the (concatenated) dataset; only its
            ``dataset``, ``seed`` and ``epoch`` are used.
        batch_size (int): samples per batch on this rank.
        box_ratio (tuple[int, int]): ``(box, salient)`` share of a batch, e.g.
            ``(9, 7)``; scaled to the global batch, must divide it exactly.
            Defaults to ``(11, 5)`` (the paper's COCO setting).
        sources (Sequence[str], optional): ``'box'`` / ``'salient'`` for each
            sub-dataset of a ``ConcatDataset``, when they carry no
            ``source`` attribute. Defaults to None.
        seed (int, optional): defaults to the sampler's seed, else a seed
            shared by all ranks.
        rank (int, optional), world_size (int, optional): default to
            :func:`mmengine.dist.get_dist_info` (set them to simulate ranks).
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 box_ratio: Tuple[int, int] = (11, 5),
                 sources: Optional[Sequence[str]] = None,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'RatioBatchSampler: batch_size must be a '
                             f'positive int, got {batch_size!r}')
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else int(rank)
        self.world_size = dist_world if world_size is None else int(world_size)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'RatioBatchSampler: rank {self.rank} is not in '
                             f'[0, world_size={self.world_size})')
        self.sampler = sampler
        self.batch_size = batch_size
        self.num_box, self.num_salient = self._scale_ratio(box_ratio)
        self.box_pool, self.salient_pool = self._pools(sampler.dataset,
                                                       sources)
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self._epoch = 0
        if len(self) == 0:
            raise ValueError(
                f'RatioBatchSampler: {len(self.salient_pool)} salient and '
                f'{len(self.box_pool)} box samples do not fill one global '
                f'batch of {self.num_box} box + {self.num_salient} salient')

    def _scale_ratio(self, box_ratio: Tuple[int, int]) -> Tuple[int, int]:
        a, b = (int(v) for v in box_ratio)
        global_size = self.batch_size * self.world_size
        if a < 0 or b < 0 or a + b == 0:
            raise ValueError(
                f'RatioBatchSampler: box_ratio {tuple(box_ratio)} needs two '
                'non-negative counts, not both 0')
        if (global_size * a) % (a + b):
            # the nearest exact split of this batch, as the ratio to pass
            near = max(0, min(global_size,
                              round(global_size * a / (a + b))))
            raise ValueError(
                f'RatioBatchSampler: box_ratio {tuple(box_ratio)} cannot be '
                f'scaled exactly to the global batch size {global_size} '
                f'({self.batch_size} per rank x {self.world_size} ranks); '
                f'the nearest split is box_ratio=({near}, '
                f'{global_size - near}) (set '
                'train_dataloader.batch_sampler.box_ratio)')
        num_box = global_size * a // (a + b)
        return num_box, global_size - num_box

    @staticmethod
    def _pools(dataset, sources) -> Tuple[np.ndarray, np.ndarray]:
        """Global indices of the box samples and of the salient samples."""
        subsets = list(getattr(dataset, 'datasets', [dataset]))
        if sources is None:
            sources = [_source_of(d) for d in subsets]
        if len(sources) != len(subsets) or any(s not in SOURCES
                                               for s in sources):
            raise ValueError(
                f'RatioBatchSampler: cannot tell box from salient sub-sets '
                f'of {type(dataset).__name__} (found {list(sources)} for '
                f'{[type(d).__name__ for d in subsets]}); pass sources=')
        pools: dict = {s: [] for s in SOURCES}
        start = 0
        for d, s in zip(subsets, sources):
            pools[s].append(np.arange(start, start + len(d), dtype=np.int64))
            start += len(d)
        return tuple(
            np.concatenate(pools[s]) if pools[s] else np.zeros(0, np.int64)
            for s in SOURCES)

    @property
    def epoch(self) -> int:
        """The sampler's epoch (set through ``sampler.set_epoch``)."""
        return int(getattr(self.sampler, 'epoch', self._epoch))

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch here and on the wrapped sampler."""
        self._epoch = epoch
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def _rng(self, stream: int, k: int) -> np.random.Generator:
        return np.random.default_rng([self.seed % 2**32, stream, k])

    def _stream(self, pool: np.ndarray, start: int, count: int,
                stream: int) -> np.ndarray:
        """``count`` items of the endless permutation stream of ``pool``."""
        pos = start + np.arange(count, dtype=np.int64)
        out = np.empty(count, dtype=np.int64)
        k_of = pos // len(pool)
        for k in np.unique(k_of):
            sel = k_of == k
            perm = self._rng(stream, int(k)).permutation(len(pool))
            out[sel] = pool[perm[pos[sel] % len(pool)]]
        return out

    def global_batches(self, epoch: int) -> np.ndarray:
        """All global batches of an epoch: ``(len(self), num_box +
        num_salient)`` global indices, box samples first."""
        n = len(self)
        # the epoch-defining pool: salient (or box when no salient is used)
        if self.num_salient:
            sal = self.salient_pool[self._rng(0, epoch).permutation(
                len(self.salient_pool))[:n * self.num_salient]]
            box = self._stream(self.box_pool, epoch * n * self.num_box,
                               n * self.num_box, 1) if self.num_box else \
                np.zeros(0, np.int64)
        else:
            sal = np.zeros(0, np.int64)
            box = self.box_pool[self._rng(1, epoch).permutation(
                len(self.box_pool))[:n * self.num_box]]
        return np.concatenate(
            [box.reshape(n, self.num_box),
             sal.reshape(n, self.num_salient)],
            axis=1)

    def __iter__(self) -> Iterator[List[int]]:
        for batch in self.global_batches(self.epoch):
            yield batch[self.rank::self.world_size].tolist()

    def __len__(self) -> int:
        """Batches per epoch: full passes of ``num_salient`` over the
        salient set (of ``num_box`` over the box set when no salient)."""
        if self.num_salient:
            if self.num_box and not len(self.box_pool):
                return 0
            return len(self.salient_pool) // self.num_salient
        return len(self.box_pool) // self.num_box
