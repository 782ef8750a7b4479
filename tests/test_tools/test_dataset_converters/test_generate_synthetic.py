import json
import os

import numpy as np
import pytest

from tests.test_proxy.proxy_data import rle_of
from tests.tool_loader import load_tool

gen = load_tool('tools/dataset_converters/generate_synthetic.py')


def test_box_fill_summary_hand_computed(tmp_path):
    m1 = np.zeros((10, 10), bool)
    m1[1:3, 2:5] = True
    m1[2, 4] = False  # 5 pixels in a 3x2 box: IoU 5/6
    m2 = np.zeros((10, 10), bool)
    m2[5:9, 5:7] = True  # a rectangle: IoU 1
    m3 = np.zeros((10, 10), bool)
    m3[0, 0] = m3[3, 3] = True  # 2 pixels in a 4x4 box: IoU 1/8
    rows = [(1, 1, [2, 1, 3, 2], m1), (1, 2, [5, 5, 2, 4], m2),
            (2, 2, [0, 0, 4, 4], m3)]  # image, category, box, mask
    anns = [
        dict(
            id=i,
            image_id=image_id,
            category_id=category_id,
            bbox=bbox,
            segmentation=rle_of(mask))
        for i, (image_id, category_id, bbox, mask) in enumerate(rows, 1)
    ]
    coco = dict(
        images=[
            dict(id=1, height=10, width=10),
            dict(id=2, height=10, width=10),
            dict(id=3, height=10, width=10)
        ],
        annotations=anns,
        categories=[])
    path = tmp_path / 'a.json'
    path.write_text(json.dumps(coco))
    s = gen.box_fill_summary(str(path))
    assert s['instances'] == 3
    assert s['mIoU*'] == pytest.approx(100 * (5 / 6 + (1 + 1 / 8) / 2) / 2)
    assert s['mIoU'] == pytest.approx(100 * (5 / 6 + 1 + 1 / 8) / 3)
    assert s['IoU@75'] == pytest.approx(100 * 2 / 3)


def test_main_writes_the_set_and_reports_box_fill(tmp_path, capsys):
    out = tmp_path / 'syn'
    info = gen.main([
        '--out',
        str(out), '--seed', '1', '--num-salient', '2', '--num-scenes', '4',
        '--num-val-scenes', '2', '--size', '64', '--max-objects', '3'
    ])
    assert len(os.listdir(out / 'salient' / 'images')) == 2
    assert len(os.listdir(out / 'scenes' / 'images')) == 6
    with open(out / 'scenes' / 'annotations_val.json') as f:
        assert len(json.load(f)['images']) == 2
    fill = info['train_box_fill']
    assert fill['instances'] == info['num_instances'] <= 4 * 3
    assert 20 < fill['mIoU*'] < 95
    assert 'box-fill baseline: mIoU*' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='--overwrite'):
        gen.main(['--out', str(out), '--num-salient', '1'])
    with pytest.raises(SystemExit, match='num_objects'):
        gen.main(['--out', str(tmp_path / 'x'), '--min-objects', '0'])
