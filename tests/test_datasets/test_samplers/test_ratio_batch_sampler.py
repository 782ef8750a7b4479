from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import DefaultSampler
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from mmboxcaseg.datasets.samplers import RatioBatchSampler
from mmboxcaseg.registry import DATA_SAMPLERS


class _Fake(Dataset):

    def __init__(self, n, source=None, offset=0):
        self.n, self.source, self.offset = n, source, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.offset + i  # the index in the concatenation


def _concat(n_box, n_sal):
    return ConcatDataset(
        [_Fake(n_box, 'box'),
         _Fake(n_sal, 'salient', offset=n_box)])


def _one_rank(dataset, batch_size, box_ratio, **kw):
    """The sampler of a single process (world size 1), seed 0."""
    return RatioBatchSampler(
        DefaultSampler(dataset, seed=0),
        batch_size,
        box_ratio=box_ratio,
        world_size=1,
        rank=0,
        **kw)


def _ranks(dataset, batch_size=8, world_size=2, **kw):
    return [
        RatioBatchSampler(
            DefaultSampler(dataset, seed=7),
            batch_size,
            rank=r,
            world_size=world_size,
            **kw) for r in range(world_size)
    ]


def _global_batches(samplers):
    """Zip the ranks' batches: one list of indices per global step."""
    per_rank = [list(s) for s in samplers]
    assert len({len(b) for b in per_rank}) == 1
    return [sum(step, []) for step in zip(*per_rank)], per_rank


def test_two_ranks_exact_ratio_and_one_pass_over_salient():
    n_box, n_sal = 50, 23
    samplers = _ranks(_concat(n_box, n_sal), box_ratio=(9, 7))
    assert samplers[0].num_box == 9 and samplers[0].num_salient == 7
    assert len(samplers[0]) == 23 // 7 == 3
    batches, per_rank = _global_batches(samplers)
    assert len(batches) == 3
    assert all(len(b) == 8 for rank in per_rank for b in rank)
    salient = []
    for b in batches:
        assert len(set(b)) == 16  # ranks never share a sample
        assert sum(i < n_box for i in b) == 9
        salient += [i for i in b if i >= n_box]
    assert len(salient) == len(set(salient)) == 21  # no salient repeat
    boxes = [i for b in batches for i in b if i < n_box]
    assert len(set(boxes)) == 27  # no box repeat (pool of 50)


def test_ranks_keep_the_split_when_divisible():
    samplers = _ranks(
        _concat(100, 40), batch_size=16, world_size=2, box_ratio=(11, 5))
    batches, per_rank = _global_batches(samplers)
    for rank in per_rank:
        for b in rank:
            assert sum(i < 100 for i in b) == 11  # 11 : 5 on each rank
    assert all(sum(i < 100 for i in b) == 22 for b in batches)


def test_deterministic_by_seed_and_epoch():
    ds = _concat(50, 30)
    a, b = _ranks(ds)[0], _ranks(ds)[0]
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert a.sampler.epoch == 1
    second = list(a)
    assert second != first
    b.sampler.set_epoch(1)  # what DistSamplerSeedHook does
    assert list(b) == second
    c = RatioBatchSampler(DefaultSampler(ds, seed=8), 8, rank=0, world_size=2)
    assert list(c) != first


def test_box_stream_continues_over_epochs_and_cycles():
    # 2 global batches of 9 boxes per epoch over 36 boxes: 2 epochs = 1 pass
    s = _one_rank(_concat(36, 14), 16, (9, 7))
    boxes = []
    for epoch in (0, 1):
        s.set_epoch(epoch)
        boxes += [i for b in s for i in b if i < 36]
    assert sorted(boxes) == list(range(36))
    # a box pool smaller than an epoch's need is cycled evenly
    s = _one_rank(_concat(10, 21), 16, (9, 7))
    counts = Counter(i for b in s for i in b if i < 10)
    assert sum(counts.values()) == 27
    assert set(counts.values()) <= {2, 3} and len(counts) == 10


def test_dataloader_and_infinite_reiteration(monkeypatch):
    from mmengine.runner import loops
    monkeypatch.setattr(loops.time, 'sleep', lambda s: None)
    ds = _concat(40, 14)
    bs = DATA_SAMPLERS.build(
        dict(type='RatioBatchSampler', box_ratio=(9, 7)),
        default_args=dict(sampler=DefaultSampler(ds, seed=1), batch_size=16))
    loader = DataLoader(ds, batch_sampler=bs, collate_fn=lambda x: x)
    assert len(loader) == 2
    it = loops._InfiniteDataloaderIterator(loader)
    got = [next(it) for _ in range(6)]  # 3 epochs
    assert bs.sampler.epoch == 2  # advanced by the iterator's set_epoch
    for epoch in range(3):
        sal = [i for b in got[2 * epoch:2 * epoch + 2] for i in b if i >= 40]
        assert sorted(sal) == list(range(40, 54))
    assert got[0:2] != got[2:4]


def test_box_only_and_salient_only_ratios():
    s = _one_rank(_concat(33, 5), 8, (1, 0))
    assert len(s) == 4
    assert all(i < 33 for b in s for i in b)
    s = _one_rank(_concat(3, 17), 8, (0, 1))
    assert len(s) == 2 and all(i >= 3 for b in s for i in b)


def test_clear_errors():
    ds = _concat(50, 20)
    with pytest.raises(ValueError, match=r'\(9, 7\) cannot be scaled .* 12'):
        RatioBatchSampler(
            DefaultSampler(ds, seed=0),
            6,
            box_ratio=(9, 7),
            world_size=2,
            rank=0)
    # the message names the nearest exact split (12 * 9 / 16 = 6.75 -> 7:5),
    # and that split is accepted
    with pytest.raises(ValueError,
                       match=r'nearest split is box_ratio=\(7, 5\)'):
        RatioBatchSampler(
            DefaultSampler(ds, seed=0), 6, box_ratio=(9, 7), world_size=2,
            rank=0)
    s = RatioBatchSampler(
        DefaultSampler(ds, seed=0), 6, box_ratio=(7, 5), world_size=2, rank=0)
    assert (s.num_box, s.num_salient) == (7, 5)
    # batch 8 on one rank (the case): 4.5 box crops -> 4:4
    with pytest.raises(ValueError, match=r'box_ratio=\(4, 4\)'):
        _one_rank(ds, 8, (9, 7))
    with pytest.raises(ValueError, match='non-negative'):
        _one_rank(ds, 8, (0, 0))
    with pytest.raises(ValueError, match='cannot tell box from salient'):
        _one_rank(ConcatDataset([_Fake(5), _Fake(5)]), 16, (9, 7))
    s = _one_rank(
        ConcatDataset([_Fake(50), _Fake(20)]),
        16, (9, 7),
        sources=('box', 'salient'))
    assert len(s) == 2
    with pytest.raises(ValueError, match='do not fill one global batch'):
        _one_rank(_concat(50, 6), 16, (9, 7))
    with pytest.raises(ValueError, match='rank 2'):
        RatioBatchSampler(DefaultSampler(ds, seed=0), 8, world_size=2, rank=2)
    assert np.array_equal(s.box_pool, np.arange(50))


def _mmdet_multi_source(dataset, batch_size, ratio, rank, world_size,
                        monkeypatch):
    from mmdet.datasets.samplers import multi_source_sampler as mss
    monkeypatch.setattr(mss, 'get_dist_info', lambda: (rank, world_size))
    return mss.MultiSourceSampler(dataset, batch_size, list(ratio), seed=7)


def test_what_mmdets_multi_source_sampler_cannot_give(monkeypatch):
    """Why RatioBatchSampler stays (its docstring): mmdet's
    MultiSourceSampler (1) never ends, so an epoch-based loop (the paper's
    "40 epochs", one epoch = one pass over the salient set) never ends an
    epoch; (2) rounds the ratio per rank, so 11 : 5 per 16 over 2 ranks of 8
    becomes 12 : 4, where ours keeps 11 : 5 per global batch."""
    from itertools import islice
    n_box, n_sal = 50, 23
    data = _concat(n_box, n_sal)
    ours = _ranks(data, batch_size=8, world_size=2, box_ratio=(11, 5))
    batches, _ = _global_batches(ours)
    assert len(batches) == 23 // 5  # one pass over the salient set, then
    assert all(sum(i < n_box for i in b) == 11 for b in batches)  # stop
    theirs = [
        _mmdet_multi_source(data, 8, (11, 5), r, 2, monkeypatch)
        for r in range(2)
    ]
    flows = [iter(s) for s in theirs]
    # 20 of our epochs later it still yields: no epoch end
    steps = [sum((list(islice(f, 8)) for f in flows), [])
             for _ in range(20 * len(batches))]
    assert all(len(step) == 16 for step in steps)
    assert {sum(i < n_box for i in step) for step in steps} == {12}
