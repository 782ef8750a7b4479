import json
import os
import os.path as osp

import numpy as np
import pytest
from pycocotools.coco import COCO

from tests.test_tools.test_dataset_converters.tiny_sources import (
    PENN_STEMS, make_pennfudan, penn_rect)
from tests.tool_loader import load_tool

pennfudan = load_tool('tools/dataset_converters/pennfudan.py')


def test_instances_boxes_and_split(tmp_path):
    make_pennfudan(tmp_path / 'src')
    out = tmp_path / 'out'
    # the parent of PennFudanPed is accepted as well
    pennfudan.main([str(tmp_path / 'src'), '--out', str(out)])
    splits = {
        s: json.loads((out / f'annotations_{s}.json').read_text())
        for s in ('all', 'train', 'val')
    }
    # 6 images with 1, 2, 1, 2, 1, 2 pedestrians
    assert [len(splits[s]['images']) for s in splits] == [6, 4, 2]
    assert [len(splits[s]['annotations']) for s in splits] == [9, 6, 3]
    # sorted stems, every 5th (index 0 and 5) to val, ids kept
    assert [im['file_name'] for im in splits['val']['images']] == [
        'images/FudanPed00001.jpg', 'images/PennPed00001.jpg'
    ]
    assert [im['id'] for im in splits['val']['images']] == [1, 6]
    assert splits['all']['categories'] == [{
        'id': 1,
        'name': 'pedestrian',
        'supercategory': 'pedestrian'
    }]
    coco = COCO(str(out / 'annotations_all.json'))
    for ann in coco.loadAnns(coco.getAnnIds(imgIds=[2])):
        k = ann['ped_id']
        assert ann['bbox'] == [4 * k - 3, 2, 4, 20]
        assert ann['area'] == 80
        y0, y1, x0, x1 = penn_rect(k)
        want = np.zeros((30, 40), np.uint8)
        want[y0:y1, x0:x1] = 1
        assert (coco.annToMask(ann) == want).all()
    assert sorted(a['ped_id']
                  for a in coco.loadAnns(coco.getAnnIds(imgIds=[2]))) == [1, 2]
    assert (out / 'images' / (PENN_STEMS[0] + '.jpg')).is_file()


def test_max_side_halves_images_and_masks(tmp_path):
    src = make_pennfudan(tmp_path)
    coco = pennfudan.main([src, '--out', str(tmp_path / 'o'),
                           '--max-side', '20'])['all']
    im = coco['images'][0]
    assert (im['width'], im['height']) == (20, 15)
    # pedestrian 1: columns 1..4, rows 2..21; nearest halving keeps the
    # even ones: columns 2, 4 -> 1, 2 and rows 2..20 -> 1..10
    ann = coco['annotations'][0]
    assert (ann['bbox'], ann['area']) == ([1, 1, 2, 10], 20)


def test_missing_mask_is_one_line_error(tmp_path):
    src = make_pennfudan(tmp_path)
    os.remove(osp.join(src, 'PedMasks', 'FudanPed00003_mask.png'))
    with pytest.raises(SystemExit, match=r'FudanPed00003_mask\.png is '
                       'missing'):
        pennfudan.main([src, '--out', str(tmp_path / 'o')])
    with pytest.raises(SystemExit, match='no PNGImages'):
        pennfudan.main([str(tmp_path / 'nothing'), '--out', 'x'])
