import cv2
import numpy as np
import pytest

from mmboxcaseg.datasets.transforms import (BoxCrops, LoadBoxImage,
                                            PackBoxImageInputs, crop_windows)


def _results(img, boxes, skip=None):
    boxes = np.asarray(boxes, np.float64)
    return dict(
        img=img,
        boxes=boxes,
        skip=np.zeros(len(boxes), np.uint8) if skip is None else
        np.asarray(skip, np.uint8),
        ann_ids=list(range(len(boxes))),
        category_ids=[1] * len(boxes),
        img_id=7,
        img_path='x.png',
        sample_idx=0,
        ori_shape=img.shape[:2] if img is not None else (10, 10),
        problem=None)


def test_tight_crops_are_the_box_regions_resized():
    img = np.random.default_rng(0).integers(0, 255, (30, 40, 3), np.uint8)
    boxes = [[3.2, 4.7, 25.1, 20.0], [10, 0, 40, 30], [5, 5, 5, 9]]
    out = BoxCrops(scale=(16, 12))(_results(img, boxes, skip=[0, 0, 3]))
    assert out['valid'].tolist() == [True, True, False]
    # floor / ceil of the float box (structures.box_regions)
    assert out['regions'].tolist() == [[3, 4, 26, 20], [10, 0, 40, 30]]
    assert out['crop_regions'].tolist() == out['regions'].tolist()
    # crops are cut when loaded, as [K, 3, h, w]
    assert out['crops'].shape == (2, 3, 12, 16)
    ref = cv2.resize(img[4:20, 3:26], (16, 12),
                     interpolation=cv2.INTER_LINEAR)
    first = out['crops'][0:1].load()[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(first, ref)
    assert out['crops'][1:2].load().shape == (1, 3, 12, 16)


def test_neighbour_iou_of_the_valid_boxes_reaches_the_sample():
    """Regions 0..10 and 5..15 (IoU 1/3); a skipped box overlapping both
    is not a neighbour. Given values (a chunk's, from all the image's
    boxes) are kept; a wrong count is an error."""
    img = np.zeros((20, 20, 3), np.uint8)
    boxes = [[0, 0, 10, 10], [5, 0, 15, 10], [0, 0, 15, 10]]
    out = BoxCrops(scale=None)(_results(img, boxes, skip=[0, 0, 3]))
    np.testing.assert_allclose(out['neighbour_iou'], [1 / 3, 1 / 3])
    sample = PackBoxImageInputs()(out)['data_samples']
    np.testing.assert_allclose(sample.neighbour_iou, [1 / 3, 1 / 3])
    given = dict(_results(img, boxes[:2]), neighbour_iou=np.array([.9, .8]))
    assert BoxCrops(scale=None)(given)['neighbour_iou'].tolist() == [.9, .8]
    with pytest.raises(ValueError, match='1 neighbour IoUs for 2 valid'):
        BoxCrops(scale=None)(dict(_results(img, boxes[:2]),
                                  neighbour_iou=np.array([.9])))


def test_context_widens_the_window_not_the_box():
    regions, windows = crop_windows(
        np.array([[10., 10., 20., 30.], [0., 0., 5., 5.]]), (40, 40), 0.25)
    assert regions.tolist() == [[10, 10, 20, 30], [0, 0, 5, 5]]
    # 2.5 px and 5 px more per side, clipped at the image
    assert windows.tolist() == [[7, 5, 23, 35], [0, 0, 7, 7]]
    with pytest.raises(ValueError):
        BoxCrops(scale=0)


def test_no_image_or_no_crops():
    out = BoxCrops(scale=8)(_results(None, [[0, 0, 4, 4]]))
    assert not out['valid'].any() and out['crops'].shape == (0, 3, 8, 8)
    img = np.zeros((10, 10, 3), np.uint8)
    out = BoxCrops(scale=None)(_results(img, [[0, 0, 4, 4], [2, 2, 9, 9]]))
    assert out['regions'].shape == (2, 4) and out['crops'].shape[0] == 2
    packed = PackBoxImageInputs(keep_image=True)(out)
    assert tuple(packed['inputs'].shape) == (2, 3, 0, 0)
    sample = packed['data_samples']
    assert sample.img is img and sample.ann_ids == [0, 1]
    assert sample.metainfo['img_id'] == 7


def test_load_box_image_names_the_problem(tmp_path, capsys):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((6, 8, 3), np.uint8))
    (tmp_path / 'bad.png').write_bytes(b'nope')
    load = LoadBoxImage()

    def run(name, h=6, w=8, problem=None):
        return load(
            dict(img_path=str(tmp_path / name), height=h, width=w,
                 problem=problem, ann_ids=[1]))

    ok = run('a.png')
    assert ok['problem'] is None and ok['img'].shape == (6, 8, 3)
    assert run('missing.png')['problem'] == 'image_missing'
    assert run('bad.png')['problem'] == 'image_unreadable'
    wrong = run('a.png', h=7)
    assert wrong['problem'] == 'image_size_mismatch' and wrong['img'] is None
    # a problem found by the index: the file is not even read
    assert run('a.png', problem='image_too_large')['img'] is None
