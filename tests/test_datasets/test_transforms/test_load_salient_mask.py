import cv2
import numpy as np
import pytest

from mmboxcaseg.registry import TRANSFORMS


def test_thresholds_grey_masks_and_keeps_binary_ones(tmp_path):
    grey = np.array([[0, 100, 128], [255, 127, 200]], np.uint8)
    cv2.imwrite(str(tmp_path / 'grey.png'), grey)
    binary = np.array([[0, 1, 1], [1, 0, 0]], np.uint8)
    cv2.imwrite(str(tmp_path / 'binary.png'), binary)
    t = TRANSFORMS.build(dict(type='LoadSalientMask'))
    out = t(dict(seg_map_path=str(tmp_path / 'grey.png')))
    assert out['gt_seg_map'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_seg_map'], [[0, 0, 1], [1, 0, 1]])
    out = t(dict(seg_map_path=str(tmp_path / 'binary.png')))
    np.testing.assert_array_equal(out['gt_seg_map'], binary)


def test_size_mismatch_and_missing_file(tmp_path):
    cv2.imwrite(str(tmp_path / 'm.png'), np.zeros((4, 5), np.uint8))
    t = TRANSFORMS.build(dict(type='LoadSalientMask'))
    with pytest.raises(ValueError, match=r'm.png is \(4, 5\).*a.jpg'):
        t(
            dict(
                seg_map_path=str(tmp_path / 'm.png'),
                img_path='a.jpg',
                img=np.zeros((4, 6, 3), np.uint8)))
    with pytest.raises(FileNotFoundError, match='gone.png'):
        t(dict(seg_map_path=str(tmp_path / 'gone.png')))
