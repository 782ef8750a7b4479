import os
import os.path as osp

import pytest
from tests.test_datasets.boxcaseg_tiny_data import write_salient

from mmboxcaseg.datasets import SalientDataset
from mmboxcaseg.registry import DATASETS


def test_pairs_images_and_masks_by_stem(tmp_path):
    root = write_salient(tmp_path, ['002', '000', '001'])
    ds = DATASETS.build(
        dict(
            type='SalientDataset',
            data_root=root,
            img_dir='images',
            mask_dir='masks'))
    assert len(ds) == 3
    info = ds.get_data_info(0)
    assert info['img_path'] == osp.join(root, 'images', '000.jpg')
    assert info['seg_map_path'] == osp.join(root, 'masks', '000.png')
    assert info['source'] == 'salient' == SalientDataset.source
    assert [ds.get_data_info(i)['img_path'][-7:-4]
            for i in range(3)] == ['000', '001', '002']


def test_name_list_selects_and_orders(tmp_path):
    root = write_salient(
        tmp_path, ['a', 'b', 'c'],
        img_dir='DUTS-TR-Image',
        mask_dir='DUTS-TR-Mask')
    (tmp_path / 'single.txt').write_text('c.jpg\n\na\n')
    ds = SalientDataset(data_root=root, ann_file='single.txt')
    assert [
        osp.basename(ds.get_data_info(i)['seg_map_path'])
        for i in range(len(ds))
    ] == ['c.png', 'a.png']


def test_missing_files_raise_naming_them(tmp_path):
    root = write_salient(tmp_path, ['a', 'b', 'c'])
    os.remove(osp.join(root, 'masks', 'b.png'))
    with pytest.raises(FileNotFoundError, match=r"1 of 3 .*'b.png'"):
        SalientDataset(data_root=root, img_dir='images', mask_dir='masks')
    (tmp_path / 'list.txt').write_text('a\nzzz\n')
    with pytest.raises(FileNotFoundError, match=r"list.txt: 1 of 2 .*zzz"):
        SalientDataset(
            data_root=root,
            img_dir='images',
            mask_dir='masks',
            ann_file='list.txt')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        SalientDataset(data_root=root, img_dir='nope', mask_dir='masks')


def test_unusable_pairs_are_checked_before_training(tmp_path):
    import cv2
    import numpy as np
    from mmengine.logging import MMLogger
    root = write_salient(tmp_path / 'sal', ['a', 'b', 'c', 'd'])
    # b: a mask of another size; c: a corrupt image file
    cv2.imwrite(str(tmp_path / 'sal' / 'masks' / 'b.png'),
                np.zeros((10, 10), np.uint8))
    (tmp_path / 'sal' / 'images' / 'c.jpg').write_bytes(b'not a jpeg')
    log_file = tmp_path / 'sal.log'
    MMLogger.get_instance('salient_check', log_file=str(log_file))
    ds = SalientDataset(data_root=root, img_dir='images', mask_dir='masks')
    assert [osp.basename(ds.get_data_info(i)['img_path'])
            for i in range(len(ds))] == ['a.jpg', 'd.jpg']
    log = log_file.read_text()
    assert 'skipped 2 of 4 salient pairs' in log
    assert 'mask_size_mismatch' in log and 'image_unreadable' in log
    for name in ('a', 'd'):
        (tmp_path / 'sal' / 'images' / f'{name}.jpg').write_bytes(b'x')
    with pytest.raises(FileNotFoundError, match='no usable salient pair'):
        SalientDataset(data_root=root, img_dir='images', mask_dir='masks')
