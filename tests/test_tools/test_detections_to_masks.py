"""tools/detections_to_masks.py: a detector's results json -> BoxCaseg's
masks for its boxes as a segm results json, and their COCO AP."""
import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmboxcaseg.apis import BoxCasegInferencer, init_segmentor
from mmboxcaseg.structures import decode_rle
from tests.test_apis.test_inference import random_image
from tests.tool_loader import load_tool

TOOL = 'tools/detections_to_masks.py'


def _rle(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=r['size'], counts=r['counts'].decode())


def _square(h, w, x0, y0, x1, y1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def _write_images(tmp_path):
    """Two images (ids 3 and 7) and a COCO json with one real mask each."""
    (tmp_path / 'imgs').mkdir()
    images, anns = [], []
    for k, (img_id, h, w) in enumerate([(3, 40, 48), (7, 36, 30)]):
        cv2.imwrite(str(tmp_path / 'imgs' / f'{img_id}.png'),
                    random_image(h, w, k))
        images.append(dict(id=img_id, file_name=f'{img_id}.png', height=h,
                           width=w))
        m = _square(h, w, 4, 6, 20, 30)
        anns.append(dict(id=k + 1, image_id=img_id, category_id=1,
                         iscrowd=0, area=int(m.sum()), bbox=[4, 6, 16, 24],
                         segmentation=_rle(m)))
    ann = tmp_path / 'val.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns,
                                   categories=[dict(id=1, name='thing')])))
    return ann


DETS = [  # mmdet's *.bbox.json: x, y, w, h, no id; images interleaved
    dict(image_id=3, category_id=1, bbox=[4.0, 6.0, 16.0, 24.0], score=0.9),
    dict(image_id=7, category_id=1, bbox=[2.5, 3.0, 20.0, 25.0], score=0.8),
    dict(image_id=3, category_id=1, bbox=[20.0, 1.0, 25.0, 30.0], score=0.6),
    dict(image_id=3, category_id=1, bbox=[0.0, 0.0, 10.0, 10.0], score=0.3),
]


def _run(tool, tiny_boxcaseg, tmp_path, dets, *extra):
    cfg, ckpt = tiny_boxcaseg
    ann = tmp_path / 'val.json'
    path = tmp_path / 'dets.bbox.json'
    path.write_text(json.dumps(dets))
    out = tmp_path / 'out' / 'masks.segm.json'
    argv = [cfg, ckpt, '--ann-file', str(ann), '--img-root',
            str(tmp_path / 'imgs'), '--dets', str(path), '--out', str(out),
            '--device', 'cpu', '--no-progress'] + list(extra)
    return tool.main(argv), out


def test_each_detection_gets_the_inferencers_mask_and_a_product_score(
        tiny_boxcaseg, tmp_path):
    tool = load_tool(TOOL)
    _write_images(tmp_path)
    rc, out = _run(tool, tiny_boxcaseg, tmp_path, DETS)
    assert rc == 0
    results = json.loads(out.read_text())
    assert len(results) == len(DETS)
    # the masks and scores the Inferencer gives the same boxes, image by
    # image (xyxy)
    model = init_segmentor(*tiny_boxcaseg)
    expect = {}
    for img_id, h, w in ((3, 40, 48), (7, 36, 30)):
        ks = [k for k, d in enumerate(DETS) if d['image_id'] == img_id]
        boxes = np.array([DETS[k]['bbox'] for k in ks])
        boxes[:, 2:] += boxes[:, :2]
        pred = BoxCasegInferencer(model)(
            str(tmp_path / 'imgs' / f'{img_id}.png'),
            boxes=boxes)['predictions'][0]
        for j, k in enumerate(ks):
            expect[k] = (pred['masks'][j], pred['scores'][j])
    for k, (det, res) in enumerate(zip(DETS, results)):
        assert (res['image_id'], res['category_id'], res['bbox']) == (
            det['image_id'], det['category_id'], det['bbox'])
        mask, score = expect[k]
        np.testing.assert_array_equal(decode_rle(res['segmentation']), mask)
        assert res['score'] == pytest.approx(det['score'] * score)
        assert 0 < score < 1
    assert any(decode_rle(r['segmentation']).any() for r in results)

    # --score det keeps the detector's, and the same masks
    rc, out = _run(tool, tiny_boxcaseg, tmp_path, DETS, '--score', 'det')
    det_scored = json.loads(out.read_text())
    assert [r['score'] for r in det_scored] == [d['score'] for d in DETS]
    assert [r['segmentation'] for r in det_scored] == [
        r['segmentation'] for r in results]


def test_unusable_detections_are_counted_and_most_unusable_stops(
        tiny_boxcaseg, tmp_path, capsys):
    tool = load_tool(TOOL)
    _write_images(tmp_path)
    dets = DETS + [
        dict(image_id=7, category_id=1, bbox=[100, 100, 5, 5], score=0.5),
        dict(image_id=99, category_id=1, bbox=[1, 1, 5, 5], score=0.5),
    ]
    rc, out = _run(tool, tiny_boxcaseg, tmp_path, dets)
    assert rc == 0
    results = json.loads(out.read_text())
    assert [r['score'] > 0 for r in results] == [True] * 4
    assert [r['bbox'] for r in results] == [d['bbox'] for d in DETS]
    printed = capsys.readouterr().out
    assert '4 of 6 detections with a mask' in printed
    assert "'unknown_image': 1" in printed
    assert "'box_outside_image': 1" in printed

    # most detections name images the json does not have: nothing written
    out.unlink()
    wrong = [dict(d, image_id=99) for d in DETS]
    with pytest.raises(SystemExit, match=r'only 0 of 4 detections could be '
                       r'used.*nothing written'):
        _run(tool, tiny_boxcaseg, tmp_path, wrong)
    assert not out.exists()


@pytest.mark.parametrize('dets, msg', [
    ([dict(image_id=3, category_id=1, bbox=[0, 0, 4, 4])],
     'detection 0 has no score'),
    ([DETS[0], dict(image_id=3, bbox=[0, 0, 4, 4], score=0.5)],
     'detection 1 has no category_id'),
    ([dict(DETS[0], score='high')], "detection 0: score 'high' is not a "
     'number'),
    (dict(boxes=[]), 'expected a list of detections'),
])
def test_bad_detections_are_one_line_errors_naming_the_item(
        tiny_boxcaseg, tmp_path, dets, msg):
    tool = load_tool(TOOL)
    _write_images(tmp_path)
    with pytest.raises(SystemExit, match=msg) as e:
        _run(tool, tiny_boxcaseg, tmp_path, dets)
    assert 'dets.bbox.json' in str(e.value)


def test_inputs_are_never_overwritten(tiny_boxcaseg, tmp_path):
    tool = load_tool(TOOL)
    ann = _write_images(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    dets = tmp_path / 'dets.json'
    dets.write_text(json.dumps(DETS))
    before = ann.read_text(), dets.read_text()
    for out in (ann, dets):
        with pytest.raises(SystemExit, match='is an input of this run'):
            tool.main([cfg, ckpt, '--ann-file', str(ann), '--dets',
                       str(dets), '--out', str(out)])
    with pytest.raises(SystemExit, match='is an input of this run'):
        tool.main([cfg, ckpt, '--ann-file', str(ann), '--dets', str(dets),
                   '--out', str(tmp_path / 'o.json'), '--eval', str(ann)])
    assert (ann.read_text(), dets.read_text()) == before


def test_coco_metrics_hand_computed(tmp_path):
    """Two objects; masks equal to the real ones score AP 1 at every IoU;
    masks of IoU 0.625 with them AP 1 at 0.5 and 0 at 0.75."""
    tool = load_tool(TOOL)
    ann = _write_images(tmp_path)
    gt = {3: _square(40, 48, 4, 6, 20, 30), 7: _square(36, 30, 4, 6, 20, 30)}
    exact = [dict(image_id=i, category_id=1, bbox=[4, 6, 16, 24],
                  score=0.9, segmentation=_rle(m)) for i, m in gt.items()]
    m = tool.coco_metrics(str(ann), exact)
    assert m['coco/segm_mAP'] == pytest.approx(1.0)
    assert m['coco/segm_mAP_75'] == pytest.approx(1.0)
    assert m['coco/bbox_mAP'] == pytest.approx(1.0)
    # the top 15 of each square's 24 rows: IoU 0.625
    shifted = []
    for i, g in gt.items():
        part = g.copy()
        part[6 + 15:, :] = False  # rows 6..20 of 6..30: 15 / 24 = 0.625
        assert (part & g).sum() / (part | g).sum() == pytest.approx(0.625)
        shifted.append(dict(image_id=i, category_id=1, bbox=[4, 6, 16, 24],
                            score=0.9, segmentation=_rle(part)))
    m = tool.coco_metrics(str(ann), shifted)
    assert m['coco/segm_mAP_50'] == pytest.approx(1.0)
    assert m['coco/segm_mAP_75'] == 0.0
    assert m['coco/bbox_mAP'] == pytest.approx(1.0)  # the boxes are exact
    # 0.50:0.05:0.60 of the ten thresholds hold: AP 3 / 10
    assert m['coco/segm_mAP'] == pytest.approx(0.3)
    # no results: zeros, not an error
    assert tool.coco_metrics(str(ann), [])['coco/segm_mAP'] == 0.0
    # a json without masks cannot be evaluated
    boxes_only = json.loads(ann.read_text())
    for a in boxes_only['annotations']:
        del a['segmentation']
    (tmp_path / 'boxes.json').write_text(json.dumps(boxes_only))
    with pytest.raises(Exception, match='has no masks'):
        tool.coco_metrics(str(tmp_path / 'boxes.json'), exact)


def test_eval_writes_coco_metric_names(tiny_boxcaseg, tmp_path):
    tool = load_tool(TOOL)
    _write_images(tmp_path)
    metrics = tmp_path / 'm' / 'metrics.json'
    rc, out = _run(tool, tiny_boxcaseg, tmp_path, DETS, '--eval',
                   str(metrics))
    got = json.loads(metrics.read_text())
    results = json.loads(out.read_text())
    assert got == tool.coco_metrics(str(tmp_path / 'val.json'), results)
    assert {'coco/segm_mAP', 'coco/segm_mAP_50', 'coco/segm_mAP_75',
            'coco/bbox_mAP'} <= set(got)
    # detection 0 is the real box of image 3: its box AP is not 0
    assert got['coco/bbox_mAP'] > 0
