import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmboxcaseg.evaluation.metrics import BoxMaskMetric, region_iou
from mmboxcaseg.registry import METRICS


def _sample(pred, gt_crop, gt_area, cat, ann_id=0):
    ds = BaseDataElement(
        metainfo=dict(
            category_id=cat, ann_id=ann_id, img_id=1, region=(0, 0, 4, 4)))
    ds.pred_mask = torch.as_tensor(np.asarray(pred, bool))
    ds.gt_mask_crop = np.asarray(gt_crop, np.uint8)
    ds.gt_area = gt_area
    return ds.to_dict()  # what mmengine's Evaluator hands to a metric


def _hand_made():
    top_left = np.zeros((4, 4), bool)
    top_left[:2, :2] = True
    half = np.zeros((4, 4), bool)
    half[:, :2] = True
    return [
        # inter 4, union 4 + 6 - 4 (2 GT pixels outside the box): 2/3
        _sample(top_left, top_left, 6, cat=1, ann_id=1),
        # box fill: inter 8, union 16 + 8 - 8: 1/2
        _sample(np.ones((4, 4)), half, 8, cat=1, ann_id=2),
        # empty prediction: 0
        _sample(np.zeros((4, 4)), half[:, ::-1], 5 + 8, cat=2, ann_id=3),
    ]


def test_hand_made_ious_class_mean_differs_from_instance_mean():
    metric = METRICS.build(dict(type='BoxMaskMetric', classwise=True))
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=[1, 2])
    metric.process({}, _hand_made())
    np.testing.assert_allclose([r[0] for r in metric.results],
                               [2 / 3, 1 / 2, 0])
    res = metric.evaluate(3)
    assert set(res) == {
        f'boxmask/{k}'
        for k in ('mIoU*', 'mIoU', 'IoU@25', 'IoU@50', 'IoU@70', 'IoU@75')
    }
    assert res['boxmask/mIoU*'] == pytest.approx(100 * (7 / 12) / 2)
    assert res['boxmask/mIoU'] == pytest.approx(100 * (7 / 6) / 3)
    assert res['boxmask/IoU@25'] == pytest.approx(200 / 3)
    assert res['boxmask/IoU@50'] == pytest.approx(100 / 3)  # 0.5 is not > .5
    assert res['boxmask/IoU@70'] == res['boxmask/IoU@75'] == 0


def test_box_fill_scores_gt_area_over_region_area():
    rng = np.random.default_rng(0)
    metric = BoxMaskMetric(prefix='t')
    expected = []
    for i in range(20):
        h, w = rng.integers(1, 30, size=2)
        gt = rng.random((h, w)) < rng.random()
        metric.process({}, [_sample(np.ones((h, w)), gt, int(gt.sum()), i)])
        expected.append(gt.sum() / (h * w))
    np.testing.assert_allclose([r[0] for r in metric.results], expected)
    assert metric.evaluate(20)['t/mIoU'] == pytest.approx(100 *
                                                          np.mean(expected))


def test_region_iou_edge_cases_and_errors():
    empty = np.zeros((2, 3), bool)
    assert region_iou(empty, empty, 0) == 1.0
    assert region_iou(empty, empty, 5) == 0.0
    metric = BoxMaskMetric()
    with pytest.raises(ValueError, match=r'ann id 9 .*\(4, 4\).*\(4, 3\)'):
        metric.process(
            {}, [_sample(np.ones((4, 4)), np.ones((4, 3)), 12, 1, ann_id=9)])
    with pytest.raises(ValueError, match='gt_area 3 is smaller'):
        metric.process({}, [_sample(np.ones((2, 2)), np.ones((2, 2)), 3, 1)])
    with pytest.raises(KeyError, match="no 'pred_mask'"):
        metric.process(
            {}, [dict(ann_id=1, gt_mask_crop=empty, gt_area=0, category_id=1)])
