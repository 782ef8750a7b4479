"""The "mask ignored" flag stays with its instance through mmdet transforms."""
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from mmcv.transforms import Compose

from mmboxcaseg.datasets.transforms.proxy_loading import (IGNORE, KEEP,
                                                          MASK_IGNORED,
                                                          LoadProxyAnnotations,
                                                          PackProxyDetInputs,
                                                          mask_ignored_flags)
from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.utils import register_all_modules

register_all_modules()  # default scope 'mmboxcaseg' for Compose

H, W = 40, 60
# (box x1, y1, x2, y2), mask_ignored, crowd; label = index, so the label of a
# packed instance names the input instance it came from
BOXES = [
    ((2, 2, 14, 12), False, False),  # 0: kept
    ((20, 4, 22, 5), True, False),  # 1: tiny, FilterAnnotations drops it
    ((30, 10, 50, 30), False, False),  # 2: kept
    ((5, 20, 25, 38), True, False),  # 3: kept, mask ignored
    ((40, 2, 58, 9), False, True),  # 4: crowd
    ((50, 25, 59, 39), True, False),  # 5: mask ignored
]


def _rle(box):
    m = np.zeros((H, W), dtype=np.uint8)
    x1, y1, x2, y2 = box
    m[y1:y2, x1:x2] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle['counts'] = rle['counts'].decode()
    return rle


def _results(with_flag=True):
    instances = []
    for i, (box, ignored, crowd) in enumerate(BOXES):
        inst = dict(
            bbox=list(map(float, box)),
            bbox_label=i,
            ignore_flag=int(crowd),
            mask=_rle(box))
        if with_flag:
            inst['mask_ignored'] = ignored
        instances.append(inst)
    return dict(
        img=np.zeros((H, W, 3), dtype=np.uint8),
        img_shape=(H, W),
        ori_shape=(H, W),
        img_path='fake.jpg',
        instances=instances)


def _expected_flag(labels):
    return torch.tensor([BOXES[int(i)][1] for i in labels], dtype=torch.bool)


def test_load_encodes_codes_and_keeps_boxes():
    out = LoadProxyAnnotations(with_bbox=True, with_mask=True)(_results())
    assert out['gt_ignore_flags'].tolist() == [
        KEEP, MASK_IGNORED, KEEP, MASK_IGNORED, IGNORE, MASK_IGNORED
    ]
    assert len(out['gt_bboxes']) == len(out['gt_masks']) == 6
    assert mask_ignored_flags(out).tolist() == [
        False, True, False, True, False, True
    ]


def test_missing_flag_means_mask_used():
    out = LoadProxyAnnotations(
        with_bbox=True, with_mask=True)(
            _results(with_flag=False))
    assert out['gt_ignore_flags'].tolist() == [0, 0, 0, 0, 1, 0]


def test_undecodable_proxy_mask_keeps_its_box():
    results = _results()
    results['instances'][0]['mask'] = {'counts': None, 'size': [H, W]}
    out = LoadProxyAnnotations(with_bbox=True, with_mask=True)(results)
    # stock mmdet would ignore the whole instance (code 1)
    assert out['gt_ignore_flags'][0] == MASK_IGNORED
    assert out['gt_masks'].masks[0].sum() == 0


def test_flag_aligned_through_flip_resize_filter():
    pipeline = Compose([
        dict(type='LoadProxyAnnotations', with_bbox=True, with_mask=True),
        dict(type='RandomFlip', prob=1.0, direction='horizontal'),
        dict(type='Resize', scale=(120, 80), keep_ratio=True),
        dict(type='FilterAnnotations', min_gt_bbox_wh=(5, 5)),
        dict(type='PackProxyDetInputs'),
    ])
    sample = pipeline(_results())['data_samples']
    gt = sample.gt_instances
    # instance 1 is filtered out, crowd instance 4 goes to ignored_instances
    assert gt.labels.tolist() == [0, 2, 3, 5]
    assert gt.mask_ignored.dtype == torch.bool
    assert torch.equal(gt.mask_ignored, _expected_flag(gt.labels))
    assert sample.ignored_instances.labels.tolist() == [4]
    # the masks moved with their boxes: flipped and scaled x2
    x1, y1, x2, y2 = BOXES[2][0]
    expected = np.zeros((80, 120), dtype=bool)
    expected[2 * y1:2 * y2, 120 - 2 * x2:120 - 2 * x1] = True
    assert np.array_equal(gt.masks.masks[1].astype(bool), expected)
    assert gt.bboxes.tensor[1].tolist() == [
        120 - 2 * x2, 2 * y1, 120 - 2 * x1, 2 * y2
    ]


@pytest.mark.parametrize('seed', range(5))
def test_flag_aligned_through_random_crop(seed):
    np.random.seed(seed)
    pipeline = Compose([
        dict(type='LoadProxyAnnotations', with_bbox=True, with_mask=True),
        # 24 px wide: never holds both box 0 (x < 14) and box 5 (x >= 50)
        dict(type='RandomCrop', crop_size=(30, 24)),
        dict(type='PackProxyDetInputs'),
    ])
    sample = pipeline(_results())['data_samples']
    gt = sample.gt_instances
    assert 0 < len(gt) < 5
    assert torch.equal(gt.mask_ignored, _expected_flag(gt.labels))
    assert len(gt.masks) == len(gt.bboxes) == len(gt.mask_ignored)


def test_pack_accepts_stock_bool_flags():
    stock = TRANSFORMS.build(
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True))
    sample = PackProxyDetInputs()(stock(_results()))['data_samples']
    assert sample.gt_instances.labels.tolist() == [0, 1, 2, 3, 5]
    assert not sample.gt_instances.mask_ignored.any()


def test_pack_does_not_rewrite_its_input():
    results = LoadProxyAnnotations(with_bbox=True, with_mask=True)(_results())
    codes = results['gt_ignore_flags'].copy()
    PackProxyDetInputs()(results)
    assert np.array_equal(results['gt_ignore_flags'], codes)


def test_pack_rejects_unknown_code():
    results = LoadProxyAnnotations(with_bbox=True, with_mask=True)(_results())
    results['gt_ignore_flags'][0] = 7
    with pytest.raises(ValueError, match='fake.jpg'):
        PackProxyDetInputs()(results)
