import numpy as np
import pytest

from mmboxcaseg.proxy import shard_sampler
from mmboxcaseg.proxy.shard_sampler import ProxyShardSampler, balanced_shards


def test_balanced_shards_hand_computed():
    # middles 1.5, 3.5, 4.5, 5.5 of a total 6: 2 * middle / 6 = .5, 1.17, ...
    np.testing.assert_array_equal(balanced_shards([3, 1, 1, 1], 2),
                                  [0, 1, 1, 1])
    np.testing.assert_array_equal(balanced_shards([1, 1, 1, 1], 2),
                                  [0, 0, 1, 1])
    # more ranks than the work splits into: rank 0 gets nothing
    np.testing.assert_array_equal(balanced_shards([5, 1], 3), [1, 2])
    # no cost at all: equal image counts
    np.testing.assert_array_equal(balanced_shards([0, 0, 0], 3), [0, 1, 2])
    np.testing.assert_array_equal(balanced_shards([], 2), [])
    with pytest.raises(ValueError, match='non-negative'):
        balanced_shards([1, -1], 2)


@pytest.mark.parametrize('world_size', [1, 2, 3, 8])
def test_balanced_shards_invariants(world_size):
    rng = np.random.default_rng(world_size)
    costs = rng.integers(0, 30, size=500) + 0.2
    ranks = balanced_shards(costs, world_size)
    assert (np.diff(ranks) >= 0).all()  # contiguous, in data-set order
    loads = np.bincount(ranks, weights=costs, minlength=world_size)
    assert loads.sum() == pytest.approx(costs.sum())
    # each rank within one image's cost of its share
    assert np.abs(loads - costs.sum() / world_size).max() <= costs.max()


class _Boxes:
    """A data set whose images have the given numbers of usable boxes (and
    one skipped box each)."""

    def __init__(self, counts):
        self.counts = counts

    def __len__(self):
        return len(self.counts)

    def get_data_info(self, idx):
        return dict(skip=np.array([0] * self.counts[idx] + [2], np.uint8))


def test_sampler_splits_by_usable_boxes(monkeypatch):
    data = _Boxes([9, 1, 1, 1, 1, 1, 1, 1, 1, 1])  # 18 boxes
    got = {}
    for rank in range(2):
        monkeypatch.setattr(shard_sampler, 'get_dist_info',
                            lambda rank=rank: (rank, 2))
        got[rank] = list(ProxyShardSampler(data, image_cost=0))
    # by image count rank 0 would take 9 + 4 = 13 of the 18 boxes
    assert got == {0: [0], 1: list(range(1, 10))}
    assert len(ProxyShardSampler(data, image_cost=0)) == 9
