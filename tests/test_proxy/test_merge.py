import numpy as np
import pytest

from mmboxcaseg.structures import merge_smaller_first


def _mask(rows, cols, shape=(5, 5)):
    m = np.zeros(shape, dtype=bool)
    m[rows[0]:rows[1], cols[0]:cols[1]] = True
    return m


def test_smaller_box_wins_overlap():
    big = np.ones((5, 5), dtype=bool)  # box area 25
    small = _mask((1, 3), (1, 3))  # box area 4
    boxes = np.array([[0, 0, 5, 5], [1, 1, 3, 3]], dtype=float)
    out = merge_smaller_first(np.stack([big, small]), boxes)
    expected_big = np.ones((5, 5), dtype=bool)
    expected_big[1:3, 1:3] = False
    np.testing.assert_array_equal(out[0], expected_big)
    np.testing.assert_array_equal(out[1], small)
    # the order of the inputs does not matter
    out_rev = merge_smaller_first(np.stack([small, big]), boxes[::-1])
    np.testing.assert_array_equal(out_rev[0], small)
    np.testing.assert_array_equal(out_rev[1], expected_big)


def test_box_area_decides_not_mask_area():
    # mask 0 is small but its box is large; mask 1 is large in a small box
    m0 = _mask((0, 1), (0, 5))  # 5 px, box area 25
    m1 = _mask((0, 3), (0, 3))  # 9 px, box area 9
    boxes = np.array([[0, 0, 5, 5], [0, 0, 3, 3]], dtype=float)
    out = merge_smaller_first(np.stack([m0, m1]), boxes)
    np.testing.assert_array_equal(out[1], m1)
    np.testing.assert_array_equal(out[0], _mask((0, 1), (3, 5)))


def test_three_masks_hand_computed():
    a = _mask((0, 5), (0, 4))  # box area 20
    b = _mask((1, 4), (1, 5))  # box area 12
    c = _mask((2, 3), (0, 5))  # box area 5
    boxes = np.array([[0, 0, 4, 5], [1, 1, 5, 4], [0, 2, 5, 3]], float)
    out = merge_smaller_first(np.stack([a, b, c]), boxes)
    owner = np.full((5, 5), -1)
    for k in range(3):
        owner[out[k]] = k
    # yapf: disable
    expected = np.array([[0, 0, 0, 0, -1],
                         [0, 1, 1, 1, 1],
                         [2, 2, 2, 2, 2],
                         [0, 1, 1, 1, 1],
                         [0, 0, 0, 0, -1]])
    # yapf: enable
    np.testing.assert_array_equal(owner, expected)
    # disjoint and same union
    assert out.sum(axis=0).max() == 1
    np.testing.assert_array_equal(out.any(0), np.stack([a, b, c]).any(0))


def test_tie_later_listed_wins():
    a = _mask((0, 3), (0, 3))
    b = _mask((2, 5), (2, 5))
    boxes = np.array([[0, 0, 3, 3], [2, 2, 5, 5]], float)  # equal areas
    out = merge_smaller_first(np.stack([a, b]), boxes)
    assert not out[0][2, 2] and out[1][2, 2]
    out = merge_smaller_first(np.stack([b, a]), boxes[::-1])
    assert not out[0][2, 2] and out[1][2, 2]


def test_identity_cases():
    m = _mask((1, 4), (1, 4))[None]
    np.testing.assert_array_equal(
        merge_smaller_first(m, np.array([[1, 1, 4, 4]], float)), m)
    empty = np.zeros((0, 5, 5), dtype=bool)
    assert merge_smaller_first(empty, np.zeros((0, 4))).shape == (0, 5, 5)


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match='merge_smaller_first'):
        merge_smaller_first(np.zeros((2, 5, 5), bool), np.zeros((3, 4)))


def _paint(masks, boxes):
    """The definition: paint in descending box area (stable), later wins."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    owner = np.full(masks.shape[1:], -1)
    for k in sorted(range(len(masks)), key=lambda k: -areas[k]):
        owner[masks[k]] = k
    return np.stack([owner == k for k in range(len(masks))])


@pytest.mark.parametrize('n', [2, 7, 300])  # 300 needs a uint16 rank
def test_matches_painting_and_keeps_layout(n):
    rng = np.random.default_rng(n)
    masks = rng.random((n, 6, 7)) > 0.6
    boxes = rng.integers(0, 4, (n, 4)).astype(float)
    boxes[:, 2:] += boxes[:, :2] + 1
    expected = _paint(masks, boxes)
    np.testing.assert_array_equal(merge_smaller_first(masks, boxes), expected)
    # a column-major view (the converter's layout) gives the same masks
    # and keeps its layout
    col = np.ascontiguousarray(masks.transpose(0, 2, 1)).transpose(0, 2, 1)
    out = merge_smaller_first(col, boxes)
    np.testing.assert_array_equal(out, expected)
    assert out.transpose(0, 2, 1).flags.c_contiguous
