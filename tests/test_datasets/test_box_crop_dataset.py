import os.path as osp

import pytest
from tests.test_datasets.boxcaseg_tiny_data import write_coco
from mmengine.logging import MMLogger

from mmboxcaseg.datasets import BoxCropDataset
from mmboxcaseg.registry import DATASETS


def _logger(tmp_path, name):
    log_file = tmp_path / f'{name}.log'
    MMLogger.get_instance(name, log_file=str(log_file))
    return log_file


def test_one_sample_per_valid_instance(tmp_path):
    root, ann = write_coco(tmp_path)
    log_file = _logger(tmp_path, 'box_crop_train')
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
    assert 'skipped 3 invalid annotations' in log
    for text in ('ann id 4 (w or h <= 0)', 'ann id 6 (outside its image)',
                 'ann id 8 (unknown image_id)', 'skipped 1 crowd'):
        assert text in log


def test_test_mode_keeps_segmentation(tmp_path):
    root, ann = write_coco(tmp_path)
    ds = DATASETS.build(
        dict(
            type='BoxCropDataset',
            ann_file=ann,
            data_root=root,
            test_mode=True))
    assert ds.with_mask
    info = ds.get_data_info(0)
    assert info['segmentation']['size'] == [40, 60]
    assert isinstance(ds.get_data_info(1)['segmentation'], list)


def test_missing_segmentation_is_skipped_only_when_masks_wanted(tmp_path):
    import json
    root, ann = write_coco(tmp_path)
    path = osp.join(root, ann)
    data = json.load(open(path))
    del data['annotations'][4]['segmentation']  # ann 5
    data['annotations'][6]['bbox'] = [1, 'x', 3, 4]  # ann 7: malformed
    json.dump(data, open(path, 'w'))
    log_file = _logger(tmp_path, 'box_crop_noseg')
    assert len(BoxCropDataset(ann_file=ann, data_root=root)) == 4
    ds = BoxCropDataset(ann_file=ann, data_root=root, test_mode=True)
    assert [ds.get_data_info(i)['ann_id'] for i in range(len(ds))] == [1, 2, 9]
    log = log_file.read_text()
    assert 'ann id 5 (no segmentation)' in log
    assert 'ann id 7 (not finite)' in log


def test_bad_files_raise_clear_errors(tmp_path):
    root, ann = write_coco(tmp_path)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        BoxCropDataset(ann_file='nope.json', data_root=root)
    (tmp_path / 'bad.json').write_text('{"images": [{"id": 1}], '
                                       '"annotations": [], "categories": []}')
    with pytest.raises(ValueError, match="bad.json: image 1 has no"):
        BoxCropDataset(ann_file='bad.json', data_root=str(tmp_path))
