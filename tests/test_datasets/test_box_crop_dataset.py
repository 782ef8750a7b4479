import os.path as osp
import re

import pytest
from tests.test_datasets.boxcaseg_tiny_data import logger_file, write_coco

from mmboxcaseg.datasets import BoxCropDataset


def _skipped(log, ann_id, reason):
    """Whether the log names annotation ``ann_id`` skipped for ``reason``."""
    return re.search(rf'\[{reason}\] .* ann id {ann_id}$', log,
                     re.MULTILINE) is not None


def test_one_sample_per_valid_instance(tmp_path):
    root, ann = write_coco(tmp_path)
    log_file = logger_file(tmp_path, 'box_crop_train')
    ds = BoxCropDataset(ann_file=ann, data_root=root)
    assert len(ds) == 5
    assert [ds[i]['ann_id'] for i in range(5)] == [1, 2, 5, 7, 9]
    info = ds.get_data_info(1)
    assert info['img_path'] == osp.join(root, 'images/001.jpg')
    assert info['bbox'] == [30.0, 2.0, 45.5, 27.0]  # xywh -> xyxy
    assert (info['img_id'], info['height'], info['width']) == (1, 40, 60)
    assert info['category_id'] == 3 and info['source'] == 'box'
    assert 'segmentation' not in info  # training never carries masks
    assert ds.get_data_info(3)['img_path'].endswith('images/003.jpg')
    assert ds.get_cat_ids(2) == [1]
    assert ds.metainfo['classes'] == ('person', 'dog')
    assert ds.metainfo['cat_ids'] == [1, 3]
    assert hasattr(ds, 'data_bytes')  # serialised by BaseDataset

    log = log_file.read_text()
    assert 'skipped 3 annotations' in log
    # the reasons of stage 2 (one box parser: structures.index_coco)
    for ann_id, reason in ((4, 'empty_box'), (6, 'box_outside_image'),
                           (8, 'unknown_image')):
        assert _skipped(log, ann_id, reason)
    assert 'skipped 1 crowd' in log


def test_malformed_boxes_are_skipped_with_stage_2s_reasons(tmp_path):
    import json
    root, ann = write_coco(tmp_path)
    path = osp.join(root, ann)
    data = json.load(open(path))
    data['annotations'][6]['bbox'] = [1, 'x', 3, 4]  # ann 7: a string
    data['annotations'][8]['bbox'] = [True, 2, 8, 8]  # ann 9: a boolean
    json.dump(data, open(path, 'w'))
    log_file = logger_file(tmp_path, 'box_crop_malformed')
    ds = BoxCropDataset(ann_file=ann, data_root=root)
    assert [ds.get_data_info(i)['ann_id'] for i in range(len(ds))] == [1, 2, 5]
    log = log_file.read_text()
    assert _skipped(log, 7, 'bad_box') and _skipped(log, 9, 'bad_box')


def test_images_are_checked_before_training(tmp_path):
    import json
    import os
    root, ann = write_coco(tmp_path)
    path = osp.join(root, ann)
    data = json.load(open(path))
    data['images'][1]['height'] = 41  # image 2 is 40 x 60 on disk
    json.dump(data, open(path, 'w'))
    os.remove(osp.join(root, 'images/003.jpg'))
    log_file = logger_file(tmp_path, 'box_crop_images')
    ds = BoxCropDataset(ann_file=ann, data_root=root)
    assert [ds.get_data_info(i)['ann_id'] for i in range(len(ds))] == [1, 2]
    log = log_file.read_text()
    assert _skipped(log, 5, 'image_size_mismatch')
    assert _skipped(log, 7, 'image_missing')
    assert "'image_missing': 2" in log
    # without the check (a trusted, very large set) nothing is read
    assert len(BoxCropDataset(ann_file=ann, data_root=root,
                              check_images=False)) == 5


def test_bad_files_raise_clear_errors(tmp_path):
    root, ann = write_coco(tmp_path)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        BoxCropDataset(ann_file='nope.json', data_root=root)
    (tmp_path / 'bad.json').write_text('{"images": [{"id": 1}], '
                                       '"annotations": [], "categories": []}')
    with pytest.raises(ValueError, match='bad.json: no usable annotation'):
        BoxCropDataset(ann_file='bad.json', data_root=str(tmp_path))
