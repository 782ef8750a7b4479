import pickle

import numpy as np
import pytest

from mmboxcaseg.registry import METRICS
from mmboxcaseg.structures import decode_rle
from tests.test_proxy.proxy_data import rle_of

H, W = 6, 8


def _image(probs, boxes, gts, cats, skip=None, img_id=1):
    """One predicted image as a metric receives it (a dict)."""
    from mmboxcaseg.structures import box_regions
    boxes = np.asarray(boxes, np.float64)
    skip = np.zeros(len(boxes), np.uint8) if skip is None else np.asarray(
        skip, np.uint8)
    valid = skip == 0
    regions = box_regions(boxes[valid], (H, W))
    return dict(
        img_id=img_id, img_path=f'{img_id}.png', sample_idx=img_id,
        ori_shape=(H, W), problem=None, ann_ids=list(range(len(boxes))),
        category_ids=list(cats), boxes=boxes, skip=skip, valid=valid,
        regions=regions, crop_regions=regions,
        pred_probs=np.asarray(probs, np.float32), mask_thr=0.5, refine=None,
        segmentations=gts)


def _hand_made():
    top_left = np.zeros((H, W), bool)
    top_left[:2, :2] = True
    gt1 = top_left.copy()
    gt1[5, 6:8] = True  # 2 GT pixels outside the box
    half = np.zeros((H, W), bool)
    half[:4, 4:6] = True
    empty_gt = np.zeros((H, W), bool)
    empty_gt[1:3, 0:3] = True
    p1 = np.zeros((4, 4))
    p1[:2, :2] = 1  # the top-left quarter of box 0..4 x 0..4
    probs = [p1, np.ones((4, 4)), np.zeros((4, 4))]
    boxes = [[0, 0, 4, 4], [4, 0, 8, 4], [0, 0, 4, 4], [3, 3, 3, 5],
             [0, 0, 2, 2]]
    gts = [rle_of(gt1), rle_of(half), rle_of(empty_gt), rle_of(half), None]
    # IoU 4 / 6, box fill 8 / 16, empty 0; a skipped box; no GT mask
    return [_image(probs + [np.zeros((4, 4))], boxes, gts, [1, 1, 2, 1, 2],
                   skip=[0, 0, 0, 3, 0])]


def test_hand_made_ious_class_mean_differs_from_instance_mean():
    metric = METRICS.build(dict(type='BoxMaskMetric', classwise=True))
    metric.dataset_meta = dict(classes=('a', 'b'), cat_ids=[1, 2])
    metric.process({}, _hand_made())
    ious = metric.results[0]['gt_iou']
    assert ious[3] is None and ious[4] is None  # skipped; no GT mask
    np.testing.assert_allclose(ious[:3], [2 / 3, 1 / 2, 0])
    res = metric.evaluate(1)
    assert set(res) == {
        f'boxmask/{k}'
        for k in ('mIoU*', 'mIoU', 'IoU@25', 'IoU@50', 'IoU@70', 'IoU@75',
                  'score_rho')
    }
    assert res['boxmask/mIoU*'] == pytest.approx(100 * (7 / 12) / 2)
    assert res['boxmask/mIoU'] == pytest.approx(100 * (7 / 6) / 3)
    assert res['boxmask/IoU@25'] == pytest.approx(200 / 3)
    assert res['boxmask/IoU@50'] == pytest.approx(100 / 3)  # 0.5 is not > .5
    assert res['boxmask/IoU@70'] == res['boxmask/IoU@75'] == 0
    # boxes 0 and 2 are the same box (neighbour IoU 1: their scores x 0),
    # box 1 is sure and alone (1): scores (0, 1, 0) against IoUs 2/3, 1/2,
    # 0, ranks (1.5, 3, 1.5) and (3, 2, 1): covariance 0
    assert res['boxmask/score_rho'] == pytest.approx(0.0)
    # without crowding (the sample's neighbour_iou, as BoxCrops gives it,
    # all 0): sure maps (certainty 1) times the fill factor: box 0's mask
    # fills a quarter of it (0.25 ** 0.25), box 1's all of it (1), box 2's
    # is empty (0); ranks (2, 3, 1) against (3, 2, 1): 1 - 6 * 2 / 24
    image = _hand_made()[0]
    image['neighbour_iou'] = np.zeros(4)
    metric = METRICS.build(dict(type='BoxMaskMetric'))
    metric.process({}, [image])
    assert metric.evaluate(1)['boxmask/score_rho'] == pytest.approx(0.5)


def test_score_rho_ranks_a_quality_head_s_predictions():
    """A quality head's predictions replace the certainty, times the same
    crowding and fill factors."""
    image = _hand_made()[0]
    image['neighbour_iou'] = np.zeros(4)  # no crowding
    # box 0 (the quarter mask) predicted the best, box 1 (box fill) worse
    # than box 2 (empty), the fourth box has no GT mask
    image['pred_quality'] = np.array([0.9, 0.1, 0.5, 0.3], np.float32)
    metric = METRICS.build(dict(type='BoxMaskMetric'))
    metric.process({}, [image])
    # times the fill factors (0.25 ** 0.25, 1, 0): scores (0.64, 0.1, 0),
    # ranks (3, 2, 1) against the IoUs' (3, 2, 1); the head's ranks alone
    # (3, 1, 2) would give 1 - 6 * (0 + 1 + 1) / 24 = 0.5
    assert metric.evaluate(1)['boxmask/score_rho'] == pytest.approx(1.0)
    # box 0 overlapping another box at IoU 0.8, box 1 predicted 0.5:
    # scores (0.9 * 0.2 * 0.25 ** 0.25 = 0.127, 0.5, 0), ranks (2, 3, 1)
    # against (3, 2, 1): 1 - 6 * (1 + 1 + 0) / 24
    image['neighbour_iou'] = np.array([0.8, 0, 0, 0])
    image['pred_quality'] = np.array([0.9, 0.5, 0.5, 0.3], np.float32)
    metric = METRICS.build(dict(type='BoxMaskMetric'))
    metric.process({}, [image])
    assert metric.evaluate(1)['boxmask/score_rho'] == pytest.approx(0.5)
    # all scores equal: no ranking to measure, no key
    image['pred_quality'] = np.zeros(4, np.float32)
    metric = METRICS.build(dict(type='BoxMaskMetric'))
    metric.process({}, [image])
    assert 'boxmask/score_rho' not in metric.evaluate(1)


def test_threads_give_the_same_results():
    rng = np.random.default_rng(0)
    images = []
    for k in range(12):
        gts = [rle_of(rng.random((H, W)) < 0.5) for _ in range(3)]
        images.append(_image(rng.random((3, 5, 5)), [[0, 0, 8, 6]] * 3, gts,
                             [1, 2, 1], img_id=k))
    inline = METRICS.build(dict(type='BoxMaskMetric', num_threads=0))
    pooled = METRICS.build(dict(type='BoxMaskMetric', num_threads=3))
    for k in range(0, 12, 4):
        inline.process({}, images[k:k + 4])
        pooled.process({}, images[k:k + 4])
    assert inline.evaluate(12) == pooled.evaluate(12)


def _written_instances(out):
    """What BoxMaskMetric writes to its ``out_file`` ``out`` for
    ``_hand_made()``."""
    metric = METRICS.build(dict(type='BoxMaskMetric', out_file=str(out)))
    metric.process({}, _hand_made())
    metric.evaluate(1)
    with open(out, 'rb') as f:
        return pickle.load(f)


def test_out_file_holds_rle_masks_scores_and_ious(tmp_path):
    out = tmp_path / 'p.pkl'
    instances = _written_instances(out)
    assert [d['id'] for d in instances] == [0, 1, 2, 3, 4]
    first = instances[0]
    assert set(first) == {'id', 'image_id', 'category_id', 'segmentation',
                          'score', 'gt_iou', 'skip'}
    assert isinstance(first['segmentation']['counts'], str)
    m = decode_rle(first['segmentation'])
    assert m.shape == (H, W) and m[:2, :2].all() and m.sum() == 4
    assert first['gt_iou'] == pytest.approx(2 / 3)
    assert instances[3]['skip'] == 'empty_box'
    # a few hundred bytes per instance: nothing of the batch's tensors
    assert out.stat().st_size < 400 * len(instances)


def test_no_gt_mask_at_all_gives_nan():
    img = _hand_made()[0]
    img['segmentations'] = [None] * 5
    metric = METRICS.build(dict(type='BoxMaskMetric'))
    metric.process({}, [img])
    assert np.isnan(metric.evaluate(1)['boxmask/mIoU*'])
