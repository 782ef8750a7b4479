import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from scipy.io import savemat

from tests.tool_loader import load_tool

voc = load_tool('tools/dataset_converters/voc_aug_to_coco.py')
H, W = 12, 16
PALETTE = [v for i in range(256) for v in (i, 255 - i, (37 * i) % 256)]

# stems: role
VOC_TRAIN = ['2007_000001', '2008_000004']  # 0004 is also in SBD
VOC_VAL = ['2007_000002', '2008_000005']  # 0005 is also in SBD train
SBD_TRAIN = ['2008_000003', '2008_000005']
SBD_VAL = ['2008_000004', '2008_000006']  # 0006: listed, .mat missing


def _png(path, arr):
    img = Image.fromarray(arr.astype(np.uint8))
    img.putpalette(PALETTE)  # 'L' -> 'P', indices unchanged
    img.save(path)


def _voc_pair(obj_ids, cls_ids):
    obj = np.zeros((H, W), np.uint8)
    cls = np.zeros((H, W), np.uint8)
    for (y0, y1, x0, x1), k, c in zip(*obj_ids, cls_ids):
        obj[y0:y1, x0:x1] = k
        cls[y0:y1, x0:x1] = c
    return obj, cls


def _make_tree(tmp_path):
    vroot = tmp_path / 'VOCdevkit' / 'VOC2012'
    sroot = tmp_path / 'SBD' / 'dataset'
    for d in ('JPEGImages', 'SegmentationObject', 'SegmentationClass',
              'ImageSets/Segmentation'):
        (vroot / d).mkdir(parents=True)
    (sroot / 'inst').mkdir(parents=True)
    for stem in set(VOC_TRAIN + VOC_VAL + SBD_TRAIN + SBD_VAL):
        Image.new('RGB', (W, H),
                  (80, 90, 100)).save(vroot / 'JPEGImages' / f'{stem}.jpg')
    (vroot /
     'ImageSets/Segmentation/train.txt').write_text('\n'.join(VOC_TRAIN) +
                                                    '\n')
    (vroot / 'ImageSets/Segmentation/val.txt').write_text('\n'.join(VOC_VAL) +
                                                          '\n')
    (sroot / 'train.txt').write_text('\n'.join(SBD_TRAIN) + '\n')
    (sroot / 'val.txt').write_text('\n'.join(SBD_VAL) + '\n')

    # 2007_000001: instance 1 = person (15) on rows 1..3, cols 2..4 with a
    # void border pixel; instance 2 mostly cat (8) with a few dog (12) pixels
    obj = np.zeros((H, W), np.uint8)
    cls = np.zeros((H, W), np.uint8)
    obj[1:4, 2:5], cls[1:4, 2:5] = 1, 15
    obj[3, 4] = cls[3, 4] = 255  # void: not part of the instance
    obj[6:10, 6:14], cls[6:10, 6:14] = 2, 8
    cls[6, 6:9] = 12
    obj[0, 15] = 3  # instance 3 has only void class pixels: dropped
    cls[0, 15] = 255
    _png(vroot / 'SegmentationObject/2007_000001.png', obj)
    _png(vroot / 'SegmentationClass/2007_000001.png', cls)
    for stem, c in (('2008_000004', 7), ('2007_000002', 1), ('2008_000005',
                                                             20)):
        obj = np.zeros((H, W), np.uint8)
        obj[2:5, 3:9] = 1
        _png(vroot / f'SegmentationObject/{stem}.png', obj)
        _png(vroot / f'SegmentationClass/{stem}.png', obj * c)

    def _mat(stem, seg, cats):
        savemat(
            sroot / 'inst' / f'{stem}.mat', {
                'GTinst': {
                    'Segmentation': seg.astype(np.uint8),
                    'Boundaries': np.zeros((len(cats), 1), object),
                    'Categories': np.array(cats, np.uint8).reshape(-1, 1)
                }
            })

    seg = np.zeros((H, W), np.uint8)
    seg[0:2, 0:3] = 1  # bicycle
    seg[5:12, 10:16] = 2  # horse
    _mat('2008_000003', seg, [2, 13])
    _mat('2008_000004', seg, [2, 13])  # VOC wins for this image
    _mat('2008_000005', seg, [2, 13])  # in VOC val: not in train_aug
    return vroot, sroot


def _run(tmp_path, vroot, sroot, *extra):
    out = tmp_path / 'ann'
    report = voc.main([
        '--voc-root',
        str(vroot), '--sbd-root',
        str(sroot), '--out-dir',
        str(out), *extra
    ])
    return out, report


def _load(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize('workers', ['0', '2'])
def test_train_aug_and_val(tmp_path, workers):
    vroot, sroot = _make_tree(tmp_path)
    out, report = _run(tmp_path, vroot, sroot, '--workers', workers)
    train = _load(out / 'voc_2012_train_aug.json')
    val = _load(out / 'voc_2012_val.json')

    # (SBD train | SBD val | VOC train) - VOC val; 0006 has no .mat: skipped
    assert [i['file_name'] for i in train['images']
            ] == ['2007_000001.jpg', '2008_000003.jpg', '2008_000004.jpg']
    assert [i['file_name']
            for i in val['images']] == ['2007_000002.jpg', '2008_000005.jpg']
    assert report['train_aug']['skipped images'] == 1
    assert report['train_aug']['images from VOC'] == 2
    assert report['train_aug']['images from SBD'] == 1
    assert report['val']['instances'] == 2
    assert all(i['width'] == W and i['height'] == H for i in train['images'])

    cats = train['categories']
    assert [c['id'] for c in cats] == list(range(1, 21))
    assert cats[0]['name'] == 'aeroplane' and cats[19]['name'] == 'tvmonitor'

    by_img = {}
    for a in train['annotations']:
        by_img.setdefault(a['image_id'], []).append(a)
    # 2007_000001 (VOC): void pixel excluded, majority class, bbox, area
    a1, a2 = by_img[1]
    assert a1['category_id'] == 15 and a2['category_id'] == 8
    assert a1['bbox'] == [2.0, 1.0, 3.0, 3.0] and a1['area'] == 8
    assert a2['bbox'] == [6.0, 6.0, 8.0, 4.0] and a2['area'] == 32
    m1 = mask_utils.decode(a1['segmentation'])
    expect = np.zeros((H, W), np.uint8)
    expect[1:4, 2:5] = 1
    expect[3, 4] = 0
    np.testing.assert_array_equal(m1, expect)
    # 2008_000003 (SBD only): classes from Categories, masks round-trip
    s1, s2 = by_img[2]
    assert (s1['category_id'], s2['category_id']) == (2, 13)
    assert s2['bbox'] == [10.0, 5.0, 6.0, 7.0] and s2['area'] == 42
    assert mask_utils.decode(s1['segmentation'])[0:2, 0:3].all()
    assert mask_utils.decode(s1['segmentation']).sum() == 6
    # 2008_000004 is in VOC train and SBD val: VOC annotation preferred
    assert [a['category_id'] for a in by_img[3]] == [7]
    assert all(a['iscrowd'] == 0 for a in train['annotations'])
    assert len({a['id'] for a in train['annotations']}) == 5


def test_only_val_needs_no_sbd(tmp_path):
    vroot, _ = _make_tree(tmp_path)
    out = tmp_path / 'ann'
    report = voc.main(
        ['--voc-root',
         str(vroot), '--out-dir',
         str(out), '--splits', 'val'])
    assert list(report) == ['val']
    assert not (out / 'voc_2012_train_aug.json').exists()
    val = _load(out / 'voc_2012_val.json')
    assert [a['category_id'] for a in val['annotations']] == [1, 20]


def test_wrong_layout_names_the_missing_path(tmp_path):
    vroot, sroot = _make_tree(tmp_path)
    (vroot / 'SegmentationObject').rename(vroot / 'SegObj')
    with pytest.raises(SystemExit, match='SegmentationObject is missing'):
        _run(tmp_path, vroot, sroot)
    (vroot / 'SegObj').rename(vroot / 'SegmentationObject')
    with pytest.raises(SystemExit, match=r'inst is missing'):
        _run(tmp_path, vroot, sroot.parent)
    with pytest.raises(SystemExit, match='needs --sbd-root'):
        voc.main(['--voc-root', str(vroot), '--out-dir', str(tmp_path)])
    (sroot / 'val.txt').unlink()
    with pytest.raises(SystemExit, match=r'val.txt is missing'):
        _run(tmp_path, vroot, sroot)
    assert not (tmp_path / 'ann').exists()  # nothing written before checks


def test_bad_files_are_skipped_with_their_name(tmp_path):
    vroot, sroot = _make_tree(tmp_path)
    # an RGB (not palette) PNG and a corrupt .mat
    Image.new('RGB', (W, H)).save(vroot / 'SegmentationClass/2007_000001.png')
    (sroot / 'inst/2008_000003.mat').write_bytes(b'garbage')
    stem, err = voc.convert_image(('2007_000001', 'voc'), str(vroot),
                                  str(sroot))
    assert 'SegmentationClass/2007_000001.png' in err and 'palette' in err
    stem, err = voc.convert_image(('2008_000003', 'sbd'), str(vroot),
                                  str(sroot))
    assert '2008_000003.mat' in err
    out, report = _run(tmp_path, vroot, sroot, '--splits', 'train_aug')
    assert report['train_aug']['skipped images'] == 3
    assert report['train_aug']['images'] == 1


def test_every_image_skipped_is_an_error_and_out_dir_a_file(tmp_path):
    vroot, sroot = _make_tree(tmp_path)
    for png in (vroot / 'SegmentationClass').glob('*.png'):
        png.write_bytes(b'not a png')  # every VOC val image breaks
    with pytest.raises(SystemExit, match='all 2 images were skipped'):
        voc.main(['--voc-root', str(vroot), '--out-dir',
                  str(tmp_path / 'ann'), '--splits', 'val'])
    assert not (tmp_path / 'ann' / 'voc_2012_val.json').exists()
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(SystemExit, match='is a file'):
        voc.main(['--voc-root', str(vroot), '--out-dir',
                  str(tmp_path / 'afile'), '--splits', 'val'])


def test_an_output_under_a_file_or_a_folder_in_its_place(tmp_path):
    """One line before any work: --out-dir below a file, or a folder where
    the output json goes."""
    vroot, _ = _make_tree(tmp_path)
    (tmp_path / 'afile').write_text('keep me')
    for out_dir in (tmp_path / 'afile' / 'ann', tmp_path / 'afile'):
        with pytest.raises(SystemExit) as info:
            voc.main(['--voc-root', str(vroot), '--out-dir', str(out_dir),
                      '--splits', 'val'])
        msg = info.value.code
        assert msg.startswith('error: --out-dir ') and '\n' not in msg
        assert str(tmp_path / 'afile') in msg and 'is a file' in msg
    assert (tmp_path / 'afile').read_text() == 'keep me'
    (tmp_path / 'ann' / 'voc_2012_val.json').mkdir(parents=True)
    with pytest.raises(SystemExit) as info:
        voc.main(['--voc-root', str(vroot), '--out-dir',
                  str(tmp_path / 'ann'), '--splits', 'val'])
    msg = info.value.code
    assert 'voc_2012_val.json is a folder' in msg and '\n' not in msg
