import numpy as np
import pytest

from mmboxcaseg.structures import (aligned_box_iou, box_agreement, box_regions,
                                   drop_by_box_agreement, mask_tight_boxes,
                                   paste_masks)


def _mask(rows, cols, shape=(5, 5)):
    m = np.zeros(shape, dtype=bool)
    m[rows[0]:rows[1], cols[0]:cols[1]] = True
    return m


def test_tight_box_pixel_edge_convention():
    m = _mask((1, 3), (2, 5))  # rows 1..2, columns 2..4
    m2 = np.zeros((5, 5), bool)
    m2[0, 0] = m2[4, 3] = True
    boxes = mask_tight_boxes(np.stack([m, m2, np.zeros((5, 5), bool)]))
    np.testing.assert_array_equal(boxes,
                                  [[2, 1, 5, 3], [0, 0, 4, 5], [0, 0, 0, 0]])


def test_box_fill_of_integer_box_agrees_fully():
    masks = np.stack([_mask((1, 4), (0, 2))])
    agreement, ignored = drop_by_box_agreement(
        masks, np.array([[0, 1, 2, 4]], float), thr=1.0)
    assert agreement[0] == 1.0 and not ignored[0]


def test_hand_computed_agreement_and_threshold_edges():
    gt = np.array([[0, 0, 4, 4]] * 3, float)  # area 16
    masks = np.stack([
        _mask((0, 4), (0, 2)),  # box 0,0,2,4: IoU 8/16 = 0.5 exactly
        _mask((0, 4), (0, 4)),  # identical box: 1
        np.zeros((5, 5), bool),  # empty: 0
    ])
    agreement, ignored = drop_by_box_agreement(masks, gt, thr=0.5)
    np.testing.assert_allclose(agreement, [0.5, 1.0, 0.0])
    # exactly at the threshold is kept; the empty mask is ignored
    np.testing.assert_array_equal(ignored, [False, False, True])
    _, ignored = drop_by_box_agreement(masks, gt, thr=0.51)
    np.testing.assert_array_equal(ignored, [True, False, True])
    # thr = 0 ignores nothing, not even an empty mask
    _, ignored = drop_by_box_agreement(masks, gt, thr=0.0)
    assert not ignored.any()


def test_partial_overlap_hand_computed():
    # mask box 2,2,5,5 (area 9) vs GT 0,0,4,4 (16): inter 4, union 21
    agreement, _ = drop_by_box_agreement(
        _mask((2, 5), (2, 5))[None], np.array([[0, 0, 4, 4]], float), 0.2,
        mode='literal')
    assert agreement[0] == pytest.approx(4 / 21)
    # snapped: the sides 5 vs 4 are within a pixel of the box's grid, so
    # the mask's box counts as 2,2,4,4: 4 / 16
    agreement, _ = drop_by_box_agreement(
        _mask((2, 5), (2, 5))[None], np.array([[0, 0, 4, 4]], float), 0.2)
    assert agreement[0] == pytest.approx(4 / 16)


def test_aligned_box_iou_float_boxes_and_empty_union():
    iou = aligned_box_iou([[0.5, 0.5, 2.5, 1.5], [0, 0, 0, 0]],
                          [[1.5, 0.5, 3.5, 1.5], [0, 0, 0, 0]])
    np.testing.assert_allclose(iou, [1 / 3, 0.0])


def test_aligned_box_iou_broadcasts_to_all_pairs():
    a = np.array([[0, 0, 2, 2], [0, 0, 4, 4]], float)
    b = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 6, 6]], float)
    iou = aligned_box_iou(a[:, None], b[None])
    # 2x2 in 2x2; 1 px of 4 + 4; apart / 4 px of 16; 4 of 16; apart
    np.testing.assert_allclose(
        iou, [[1, 1 / 7, 0], [4 / 16, 4 / 16, 0]])
    with pytest.raises(ValueError, match='2 boxes paired with 3'):
        aligned_box_iou(a, b)


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        drop_by_box_agreement(np.zeros((5, 5), bool), np.zeros((1, 4)), 0.5)


def _box_fills(boxes, shape):
    regions = box_regions(boxes, shape)
    fills = [np.ones((y1 - y0, x1 - x0), bool) for x0, y0, x1, y1 in regions]
    return paste_masks(fills, regions, shape)


def test_subpixel_boxes_literal_drops_small_snapped_keeps_all():
    rng = np.random.default_rng(0)
    n = 400
    size = rng.uniform(4, 60, (n, 2))
    xy = rng.uniform(0, 60, (n, 2)) + rng.uniform(0.1, 0.7, (n, 2))
    boxes = np.concatenate([xy, xy + size], axis=1)
    boxes = np.clip(boxes, 0, 128)
    masks = _box_fills(boxes, (128, 128))
    snapped = box_agreement(masks, boxes)
    literal = box_agreement(masks, boxes, mode='literal')
    assert (snapped == 1.0).all()  # a perfect mask always agrees
    small = (size < 32).all(axis=1)
    # the paper's rule drops most small perfect masks at 0.95
    assert (literal[small] < 0.95).mean() > 0.5
    large = (size >= 32).all(axis=1)
    assert (literal[large] >= 0.9).all()  # the error shrinks with size
    # hand-computed: 10 x 10 box shifted by half a pixel -> 100 / 121
    b = np.array([[0.5, 0.5, 10.5, 10.5]])
    m = _box_fills(b, (16, 16))
    assert box_agreement(m, b, mode='literal')[0] == pytest.approx(100 / 121)
    assert box_agreement(m, b)[0] == 1.0


def test_snapped_measures_shape_beyond_the_tolerance():
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    short1 = _mask((0, 10), (0, 9), (12, 12))[None]  # one column short
    short2 = _mask((0, 10), (0, 8), (12, 12))[None]  # two columns short
    assert box_agreement(short1, box)[0] == 1.0
    assert box_agreement(short2, box)[0] == pytest.approx(0.8)
    assert box_agreement(short1, box, tolerance=0)[0] == pytest.approx(0.9)
    assert box_agreement(np.zeros((1, 12, 12), bool), box)[0] == 0.0
    with pytest.raises(ValueError, match='mode'):
        box_agreement(short1, box, mode='paper')
