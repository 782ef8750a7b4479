import mmcv
import numpy as np
import pytest
from mmcv.transforms import Compose

from mmboxcaseg.datasets.transforms import BoxJitterCrop, mask_box
from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.structures import box_regions


def _img(h=80, w=100):
    return np.arange(
        h * w * 3, dtype=np.uint32).reshape(h, w, 3).astype(np.uint8)


def test_hand_computed_crop_and_box_label(monkeypatch):
    t = BoxJitterCrop()
    # centre shifted by (+0.25, -0.25) half sizes, scales (1.5, 0.5)
    monkeypatch.setattr(t, '_sample', lambda: np.array([.25, -.25, 1.5, .5]))
    img = _img()
    out = t(dict(img=img, bbox=[20., 10., 60., 50.], source='box'))
    # box centre (40, 30), half sizes (20, 20) -> centre (45, 25)
    # crop [45-30, 25-10, 45+30, 25+10] = [15, 15, 75, 35]
    assert out['crop_region'] == (15, 15, 75, 35)
    np.testing.assert_array_equal(out['img'], img[15:35, 15:75])
    expected = np.zeros((20, 60), np.uint8)
    expected[:, 5:45] = 1  # box columns 20..60, all crop rows inside box
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    assert out['img_shape'] == (20, 60)

    # the paper's resize to 288 x 288 (nearest for the label)
    resize = TRANSFORMS.build(
        dict(type='Resize', scale=(288, 288), keep_ratio=False))
    out = resize(out)
    assert out['img'].shape == (288, 288, 3)
    np.testing.assert_array_equal(
        out['gt_seg_map'],
        mmcv.imresize(expected, (288, 288), interpolation='nearest'))


def test_crop_is_clipped_to_image(monkeypatch):
    t = BoxJitterCrop()
    monkeypatch.setattr(t, '_sample', lambda: np.array([-.25, .25, 1.5, 1.5]))
    out = t(dict(img=_img(), bbox=[0., 60., 30., 80.]))
    # centre (15, 70) -> (11.25, 72.5); half sizes (22.5, 15)
    assert out['crop_region'] == (0, 57, 34, 80)
    label = out['gt_seg_map']
    assert label.shape == (23, 34)
    assert label[:3].sum() == 0 and label[3:, :30].all()
    assert label[:, 30:].sum() == 0


@pytest.mark.parametrize('seed', range(20))
def test_random_label_is_box_intersected_with_crop(seed):
    img = _img()
    box = np.array([12.3, 20.7, 70.2, 41.5])
    np.random.seed(seed)
    out = BoxJitterCrop()(dict(img=img, bbox=box.tolist()))
    x0, y0, x1, y1 = out['crop_region']
    bx0, by0, bx1, by1 = box_regions(box[None], img.shape[:2])[0]
    full = np.zeros(img.shape[:2], np.uint8)
    full[by0:by1, bx0:bx1] = 1
    np.testing.assert_array_equal(out['gt_seg_map'], full[y0:y1, x0:x1])
    assert out['gt_seg_map'].any()
    # crop size within [0.5, 1.5] x box size (+ rounding), never larger
    w, h = box[2] - box[0], box[3] - box[1]
    assert 0.5 * w - 1 <= x1 - x0 <= 1.5 * w + 2
    assert 0.5 * h - 1 <= y1 - y0 <= 1.5 * h + 2


def test_seeded_by_numpy_global_rng():
    t = BoxJitterCrop()
    regions = []
    for seed in (3, 3, 4):
        np.random.seed(seed)
        regions.append(
            t(dict(img=_img(), bbox=[20., 10., 60., 50.]))['crop_region'])
    assert regions[0] == regions[1] != regions[2]


def test_salient_sample_crops_its_mask_around_the_mask_box(monkeypatch):
    mask = np.zeros((80, 100), np.uint8)
    mask[30:50, 40:60] = 1
    mask[45, 55:70] = 1  # a thin tail: mask box x 40..70, y 30..50
    np.testing.assert_array_equal(mask_box(mask), [40, 30, 70, 50])
    np.testing.assert_array_equal(mask_box(np.zeros((4, 6))), [0, 0, 6, 4])
    t = BoxJitterCrop()
    monkeypatch.setattr(t, '_sample', lambda: np.array([0., 0., .5, 1.2]))
    out = t(dict(img=_img(), gt_seg_map=mask, source='salient'))
    # centre (55, 40), half sizes (15, 10) -> [47.5, 28, 62.5, 52]
    assert out['crop_region'] == (47, 28, 63, 52)
    np.testing.assert_array_equal(out['gt_seg_map'], mask[28:52, 47:63])


def test_bad_arguments():
    with pytest.raises(ValueError, match='scale_range'):
        BoxJitterCrop(scale_range=(1.5, 0.5))
    with pytest.raises(KeyError, match='bbox'):
        BoxJitterCrop()(dict(img=_img(), img_path='x.jpg'))
    assert 'BoxJitterCrop' in repr(Compose([BoxJitterCrop()]))
