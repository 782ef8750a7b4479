import numpy as np
import pytest

import mmboxcaseg.structures.box_crowding as box_crowding
from mmboxcaseg.structures import aligned_box_iou, neighbour_iou


def test_hand_computed_neighbours():
    boxes = np.array([
        [0, 0, 10, 10],  # overlaps the next by half: IoU 50 / 150
        [5, 0, 15, 10],
        [100, 100, 110, 120],  # alone
        [200, 0, 210, 10],  # the same box twice: IoU 1
        [200, 0, 210, 10],
        [50, 50, 50, 60],  # empty (zero width) inside nothing: 0
    ])
    np.testing.assert_allclose(neighbour_iou(boxes),
                               [1 / 3, 1 / 3, 0, 1, 1, 0])


def test_fewer_than_two_boxes():
    assert neighbour_iou(np.zeros((0, 4))).shape == (0, )
    np.testing.assert_array_equal(neighbour_iou([[0, 0, 5, 5]]), [0.0])


def test_matches_all_pairs_in_any_order_and_block_size(monkeypatch):
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 300, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0, 80, (300, 2))], axis=1)
    n = len(boxes)
    i, j = np.triu_indices(n, 1)
    pair = aligned_box_iou(boxes[i], boxes[j])
    brute = np.zeros(n)
    np.maximum.at(brute, i, pair)
    np.maximum.at(brute, j, pair)
    np.testing.assert_allclose(neighbour_iou(boxes), brute, atol=1e-12)
    # the sort and the windows do not change the answer: reversed input,
    # and blocks of a few pairs (rows halved down to one)
    np.testing.assert_allclose(neighbour_iou(boxes[::-1]), brute[::-1],
                               atol=1e-12)
    monkeypatch.setattr(box_crowding, '_BLOCK_PAIRS', 7)
    np.testing.assert_allclose(neighbour_iou(boxes), brute, atol=1e-12)


def test_values_are_ious():
    out = neighbour_iou(np.array([[0, 0, 4, 4], [2, 2, 6, 6]]))
    assert out == pytest.approx([4 / 28, 4 / 28])
