import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmboxcaseg.datasets.transforms import TightBoxCrop, segmentation_to_rle
from mmboxcaseg.registry import TRANSFORMS

H, W = 30, 40


def _gt():
    m = np.zeros((H, W), np.uint8)
    m[6:13, 8:19] = 1  # inside the box
    m[25:27, 35:38] = 1  # 6 pixels outside the box
    return m


def _uncompressed(m):
    flat = m.flatten(order='F')
    change = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], change, [flat.size]])).tolist()
    return dict(size=list(m.shape), counts=([0] if flat[0] else []) + runs)


@pytest.mark.parametrize('fmt', ['rle', 'uncompressed'])
def test_region_and_gt_mask_crop(fmt):
    gt = _gt()
    seg = mask_utils.encode(np.asfortranarray(gt)) if fmt == 'rle' \
        else _uncompressed(gt)
    img = np.random.default_rng(0).integers(0, 255, (H, W, 3), np.uint8)
    out = TightBoxCrop()(
        dict(
            img=img,
            bbox=[5.5, 4.2, 20.1, 15.0],
            segmentation=seg,
            height=H,
            width=W,
            ann_id=7))
    # floor top-left, ceil bottom-right
    assert out['region'] == (5, 4, 21, 15)
    assert out['box'] == [5.5, 4.2, 20.1, 15.0]
    np.testing.assert_array_equal(out['img'], img[4:15, 5:21])
    assert out['img_shape'] == (11, 16)
    assert out['gt_mask_crop'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_mask_crop'], gt[4:15, 5:21])
    assert out['gt_area'] == 7 * 11 + 6

    out = TRANSFORMS.build(
        dict(type='Resize', scale=(320, 320), keep_ratio=False))(
            out)
    assert out['img'].shape == (320, 320, 3)
    assert out['gt_mask_crop'].shape == (11, 16)  # stays region-sized


def test_polygon_segmentation():
    poly = [[8, 6, 19, 6, 19, 13, 8, 13], [1, 1, 2, 2]]  # 2nd is degenerate
    rle = segmentation_to_rle(poly, H, W)
    expected = mask_utils.decode(
        mask_utils.merge(mask_utils.frPyObjects(poly[:1], H, W)))
    np.testing.assert_array_equal(mask_utils.decode(rle), expected)
    assert mask_utils.decode(segmentation_to_rle([[1, 1]], H, W)).sum() == 0
    out = TightBoxCrop()(
        dict(
            img=np.zeros((H, W, 3), np.uint8),
            bbox=[0, 0, W, H],
            segmentation=poly))
    assert out['gt_area'] == expected.sum() > 0


def test_without_segmentation_and_bad_input():
    out = TightBoxCrop()(
        dict(img=np.zeros((H, W, 3), np.uint8), bbox=[39.5, 29.5, 45., 33.]))
    assert out['region'] == (39, 29, 40, 30)  # clipped, at least 1 px
    assert 'gt_mask_crop' not in out
    with pytest.raises(ValueError, match=r'a.jpg is 30x40 .*ann id 3'):
        TightBoxCrop()(
            dict(
                img=np.zeros((H, W, 3), np.uint8),
                bbox=[0, 0, 5, 5],
                segmentation=[[0, 0, 4, 0, 4, 4]],
                height=31,
                width=40,
                img_path='a.jpg',
                ann_id=3))
    with pytest.raises(ValueError, match='ann id 4 .* bad segmentation'):
        TightBoxCrop()(
            dict(
                img=np.zeros((H, W, 3), np.uint8),
                bbox=[0, 0, 5, 5],
                segmentation='oops',
                ann_id=4))
