import importlib.util
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from pycocotools import mask as mask_utils

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))


def _load_tool(name):
    """Import tools/dataset_converters/<name>.py as a module."""
    mod_name = f'_tool_{name}'
    if mod_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            mod_name,
            osp.join(ROOT, 'tools', 'dataset_converters', name + '.py'))
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
    return sys.modules[mod_name]


gen = _load_tool('generate_synthetic')


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': rle['size'], 'counts': rle['counts'].decode()}


def test_box_fill_summary_hand_computed(tmp_path):
    m1 = np.zeros((10, 10), bool)
    m1[1:3, 2:5] = True
    m1[2, 4] = False  # 5 pixels in a 3x2 box: IoU 5/6
    m2 = np.zeros((10, 10), bool)
    m2[5:9, 5:7] = True  # a rectangle: IoU 1
    m3 = np.zeros((10, 10), bool)
    m3[0, 0] = m3[3, 3] = True  # 2 pixels in a 4x4 box: IoU 1/8
    anns = [
        dict(
            id=1,
            image_id=1,
            category_id=1,
            bbox=[2, 1, 3, 2],
            segmentation=_rle(m1)),
        dict(
            id=2,
            image_id=1,
            category_id=2,
            bbox=[5, 5, 2, 4],
            segmentation=_rle(m2)),
        dict(
            id=3,
            image_id=2,
            category_id=2,
            bbox=[0, 0, 4, 4],
            segmentation=_rle(m3)),
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
