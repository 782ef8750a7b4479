"""VOCMaskMetric: mAP at IoU 0.25/0.50/0.70/0.75 on hand-made cases."""
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmboxcaseg.evaluation.metrics import VOCMaskMetric
from mmboxcaseg.evaluation.metrics.voc_mask_metric import \
    ap_per_iou_threshold

H, W = 30, 40
GT_BOX = (5, 5, 15, 15)  # 10 x 10 = 100 px


def _mask(x1, y1, x2, y2):
    m = np.zeros((H, W), dtype=np.uint8)
    m[y1:y2, x1:x2] = 1
    return m


def _gt_file(tmp_path):
    rle = mask_utils.encode(np.asfortranarray(_mask(*GT_BOX)))
    rle['counts'] = rle['counts'].decode()
    x1, y1, x2, y2 = GT_BOX
    data = dict(
        images=[dict(id=1, file_name='a.jpg', height=H, width=W)],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=[x1, y1, x2 - x1, y2 - y1],
                area=100,
                iscrowd=0,
                segmentation=rle)
        ],
        categories=[dict(id=1, name='cat'),
                    dict(id=2, name='dog')])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(data))
    return str(path)


def _evaluate(tmp_path, pred_boxes, metric=('bbox', 'segm')):
    m = VOCMaskMetric(ann_file=_gt_file(tmp_path), metric=list(metric))
    m.dataset_meta = dict(classes=('cat', 'dog'))
    n = len(pred_boxes)
    pred = dict(
        bboxes=torch.tensor(pred_boxes, dtype=torch.float32).reshape(n, 4),
        scores=torch.full((n, ), 0.9),
        labels=torch.zeros(n, dtype=torch.long),
        masks=torch.from_numpy(
            np.stack([_mask(*b)
                      for b in pred_boxes]).astype(bool) if n else np.zeros((
                          0, H, W), bool)))
    m.process({}, [dict(img_id=1, ori_shape=(H, W), pred_instances=pred)])
    return m.evaluate(1)


def test_perfect_prediction_is_100_everywhere(tmp_path):
    res = _evaluate(tmp_path, [GT_BOX])
    for metric in ('bbox', 'segm'):
        for thr in ('0.25', '0.50', '0.70', '0.75'):
            assert res[f'voc/{metric}_mAP@{thr}'] == 100.0


def test_iou_060_passes_050_fails_070(tmp_path):
    # 10 x 6 inside the 10 x 10 ground truth: IoU 60 / 100
    res = _evaluate(tmp_path, [(5, 5, 15, 11)], metric=['segm'])
    assert res == {
        'voc/segm_mAP@0.25': 100.0,
        'voc/segm_mAP@0.50': 100.0,
        'voc/segm_mAP@0.70': 0.0,
        'voc/segm_mAP@0.75': 0.0,
    }


def test_no_detection_is_zero_not_an_error(tmp_path):
    res = _evaluate(tmp_path, [], metric=['segm'])
    assert set(res.values()) == {0.0}


def test_rejects_proposal_metric():
    with pytest.raises(KeyError, match='proposal'):
        VOCMaskMetric(metric='proposal')


def test_ap_per_iou_threshold_skips_classes_without_gt():
    # T=2 thresholds, R=2 recall points, K=3 classes (the last has no GT)
    precision = np.full((2, 2, 3, 1, 1), -1.0)
    precision[:, :, 0, 0, 0] = [[1.0, 0.5], [0.5, 0.0]]
    precision[:, :, 1, 0, 0] = [[1.0, 1.0], [0.0, 0.0]]
    ap = ap_per_iou_threshold(precision)
    assert np.allclose(ap[:, :2], [[75.0, 100.0], [25.0, 0.0]])
    assert np.isnan(ap[:, 2]).all()
    assert np.allclose(ap[:, 3], [87.5, 12.5])
