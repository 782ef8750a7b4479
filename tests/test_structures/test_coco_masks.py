import numpy as np
import pytest

from mmboxcaseg.structures import (empty_rle, encode_masks, paired_iou,
                                   paste_masks, segmentation_to_rle)
from tests.test_proxy.proxy_data import decode, uncompressed_rle


def test_rle_codec():
    masks = np.zeros((2, 4, 5), bool)
    masks[0, 1:3, 2:4] = True
    rles = encode_masks(masks)
    assert all(isinstance(r['counts'], str) for r in rles)
    assert rles[0]['size'] == [4, 5]
    np.testing.assert_array_equal(decode(rles[0]), masks[0])
    col = paste_masks([masks[0][1:3, 2:4], masks[1][0:1, 0:1]],
                      np.array([[2, 1, 4, 3], [0, 0, 1, 1]]), (4, 5),
                      column_major=True)  # the writer's layout
    np.testing.assert_array_equal(col, masks)
    assert col.transpose(0, 2, 1).flags.c_contiguous
    assert encode_masks(col) == rles
    assert not decode(empty_rle(4, 5)).any()
    assert empty_rle(0, 0) == {'size': [0, 0], 'counts': ''}
    # GT in the three COCO forms
    poly = segmentation_to_rle([[2, 1, 4, 1, 4, 3, 2, 3]], 4, 5)
    unc = segmentation_to_rle(uncompressed_rle(masks[0]), 4, 5)
    assert paired_iou([rles[0]], [unc])[0] == 1.0
    assert paired_iou([rles[0]], [rles[0]])[0] == 1.0
    assert 0 < paired_iou([rles[0]], [poly])[0] <= 1.0
    assert paired_iou([rles[1], rles[0]],
                      [rles[0], rles[0]]).tolist() == [0.0, 1.0]
    assert segmentation_to_rle([], 4, 5) is None and segmentation_to_rle(None, 4, 5) is None
    with pytest.raises(ValueError, match='not the image size'):
        segmentation_to_rle(rles[0], 5, 5)
    with pytest.raises(ValueError):
        segmentation_to_rle('polygon?', 4, 5)


def test_polygon_rule_is_mmdets():
    # fewer than 3 points or an odd number of coordinates: dropped
    assert segmentation_to_rle([[1, 1, 3, 1]], 4, 5) is None
    assert segmentation_to_rle([[1, 1, 3, 1, 3, 3, 1]], 4, 5) is None
    rle = segmentation_to_rle([[1, 1, 3, 1, 3, 3, 1], [0, 0, 2, 0, 2, 2]],
                              4, 5)
    assert decode(dict(rle, counts=rle['counts'].decode()
                       if isinstance(rle['counts'], bytes)
                       else rle['counts'])).sum() > 0
