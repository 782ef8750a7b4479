import numpy as np
import pytest

from mmboxcaseg.structures import box_regions, paste_masks


def test_box_regions_floor_ceil_clip():
    boxes = np.array([
        [2.0, 1.0, 5.0, 4.0],    # integer box: exact
        [2.3, 1.7, 4.2, 3.1],    # fractional: floor / ceil
        [-3.0, -1.0, 20.0, 2.0],  # clipped to the 10x8 image
        [9.6, 7.5, 9.8, 7.9],    # sub-pixel at the border: 1 px
    ])
    r = box_regions(boxes, (8, 10))
    np.testing.assert_array_equal(
        r, [[2, 1, 5, 4], [2, 1, 5, 4], [0, 0, 10, 2], [9, 7, 10, 8]])
    assert r.dtype == np.int64


def test_box_regions_never_empty_outside_image():
    r = box_regions(np.array([[50., 50., 60., 60.]]), (8, 10))
    x0, y0, x1, y1 = r[0]
    assert 0 <= x0 < x1 <= 10 and 0 <= y0 < y1 <= 8


def test_paste_masks_places_local_masks():
    regions = np.array([[1, 2, 3, 4], [0, 0, 1, 1]])
    local = [np.array([[1, 0], [1, 1]], bool), np.ones((1, 1), bool)]
    full = paste_masks(local, regions, (5, 4))
    assert full.shape == (2, 5, 4)
    assert full[0].sum() == 3 and full[0, 2, 1] and not full[0, 2, 2]
    assert full[0, 3, 1] and full[0, 3, 2]
    assert full[1].sum() == 1 and full[1, 0, 0]


def test_paste_masks_rejects_wrong_shape():
    with pytest.raises(ValueError, match='mask 0 has shape'):
        paste_masks([np.ones((3, 3), bool)], np.array([[0, 0, 2, 2]]),
                    (4, 4))
