import json
import os.path as osp

import numpy as np
import pytest
from pycocotools.coco import COCO

from tests.test_tools.test_dataset_converters.tiny_sources import \
    make_coco128_seg
from tests.tool_loader import load_tool

coco128_seg = load_tool('tools/dataset_converters/coco128_seg.py')


def test_square_polygon_area_box_and_categories(tmp_path):
    make_coco128_seg(tmp_path / 'src')
    out = tmp_path / 'out'
    coco128_seg.main([str(tmp_path / 'src'), '--out', str(out)])
    data = json.loads((out / 'annotations.json').read_text())
    # 'c' has no label file: left out
    assert [im['file_name'] for im in data['images']] == [
        'images/a.jpg', 'images/b.jpg'
    ]
    assert (out / 'images' / 'a.jpg').is_file()
    assert not (out / 'images' / 'c.jpg').exists()
    cats = data['categories']
    assert len(cats) == 80
    assert cats[0] == {'id': 1, 'name': 'person'}
    assert cats[-1] == {'id': 90, 'name': 'toothbrush'}
    anns = data['annotations']
    # a: square (0.25..0.75) of 40x40 -> pixels 10..29: box 10,10,20,20
    assert (anns[0]['bbox'], anns[0]['area'],
            anns[0]['category_id']) == ([10, 10, 20, 20], 400, 1)
    # b (40 high, 80 wide): person 20..59 x 10..29, toothbrush 0..39 x 0..19
    assert (anns[1]['bbox'], anns[1]['area']) == ([20, 10, 40, 20], 800)
    assert (anns[2]['bbox'], anns[2]['area'],
            anns[2]['category_id']) == ([0, 0, 40, 20], 800, 90)
    assert [a['id'] for a in anns] == [1, 2, 3]
    assert [a['image_id'] for a in anns] == [1, 2, 2]
    mask = COCO(str(out / 'annotations.json')).annToMask(anns[0])
    want = np.zeros((40, 40), np.uint8)
    want[10:30, 10:30] = 1
    assert (mask == want).all()


def test_max_side_scales_polygons_with_the_image(tmp_path):
    src = make_coco128_seg(tmp_path)
    data = coco128_seg.main([src, '--out', str(tmp_path / 'o'),
                             '--max-side', '20'])
    assert [(im['width'], im['height'])
            for im in data['images']] == [(20, 20), (20, 10)]
    assert data['annotations'][0]['bbox'] == [5, 5, 10, 10]
    assert data['annotations'][0]['area'] == 100


def test_bad_label_line_is_one_line_error(tmp_path):
    src = make_coco128_seg(tmp_path)
    with open(osp.join(src, 'labels', 'train2017', 'a.txt'), 'a') as f:
        f.write('3 0.1 0.2\n')
    with pytest.raises(SystemExit, match=r'a\.txt line 2: expected'):
        coco128_seg.main([src, '--out', str(tmp_path / 'o')])
