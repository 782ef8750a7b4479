import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmboxcaseg.datasets.synthetic import (
    META_FILE, SYNTHETIC_CLASSES, generate_salient_sample, generate_scene,
    generate_synthetic_dataset, masks_to_coco_annotations, shape_outline)
from mmboxcaseg.registry import DATASETS

SMALL = dict(num_salient=3, num_scenes=3, num_val_scenes=2, size=64)


def _all_files(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = osp.join(d, f)
            with open(p, 'rb') as fh:
                out[osp.relpath(p, root)] = fh.read()
    return out


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    generate_synthetic_dataset(str(tmp_path / 'a'), seed=3, **SMALL)
    generate_synthetic_dataset(str(tmp_path / 'b'), seed=3, **SMALL)
    generate_synthetic_dataset(str(tmp_path / 'c'), seed=4, **SMALL)
    a, b, c = (_all_files(tmp_path / k) for k in 'abc')
    assert len(a) == 3 * 2 + 5 + 2 + 1  # salient pairs, scenes, 2 json, meta
    assert a == b
    assert a.keys() == c.keys()
    images = [k for k in a if k.endswith('.jpg')]
    assert all(a[k] != c[k] for k in images)


def test_sample_does_not_depend_on_count(tmp_path):
    generate_synthetic_dataset(str(tmp_path / 'a'), seed=0, **SMALL)
    generate_synthetic_dataset(
        str(tmp_path / 'b'), seed=0, **dict(SMALL, num_salient=1))
    name = osp.join('salient', 'images', '000000.jpg')
    assert _all_files(tmp_path / 'a')[name] == _all_files(tmp_path / 'b')[name]


def test_layout_and_coco_annotations(tmp_path):
    info = generate_synthetic_dataset(str(tmp_path), seed=0, **SMALL)
    assert sorted(os.listdir(
        info['salient_masks'])) == ['000000.png', '000001.png', '000002.png']
    for name in os.listdir(info['salient_masks']):
        mask = cv2.imread(osp.join(info['salient_masks'], name), 0)
        img = cv2.imread(osp.join(info['salient_images'], name[:-4] + '.jpg'))
        assert img.shape == (64, 64, 3) and mask.shape == (64, 64)
        assert set(np.unique(mask)) == {0, 255}
        n, _ = cv2.connectedComponents((mask > 0).astype(np.uint8))
        assert n == 2  # one object + background
        assert 0.05 < (mask > 0).mean() < 0.8  # a dominant object

    for key, n_img in (('train_ann', 3), ('val_ann', 2)):
        with open(info[key]) as f:
            coco = json.load(f)
        assert [c['name']
                for c in coco['categories']] == list(SYNTHETIC_CLASSES)
        assert len(coco['images']) == n_img
        assert len({a['id']
                    for a in coco['annotations']}) == len(coco['annotations'])
        for img in coco['images']:
            assert osp.isfile(osp.join(info['scene_images'], img['file_name']))
            anns = [
                a for a in coco['annotations'] if a['image_id'] == img['id']
            ]
            assert 2 <= len(anns) <= 5
            masks = mask_utils.decode([a['segmentation'] for a in anns])
            # visible masks of one scene never share a pixel
            assert masks.sum(2).max() == 1
            for a, m in zip(anns, masks.transpose(2, 0, 1)):
                ys, xs = np.nonzero(m)
                assert a['bbox'] == [
                    xs.min(),
                    ys.min(),
                    xs.max() - xs.min() + 1,
                    ys.max() - ys.min() + 1
                ]
                assert a['area'] == m.sum()
                assert a['iscrowd'] == 0 and 1 <= a['category_id'] <= 5
    with open(osp.join(str(tmp_path), META_FILE)) as f:
        assert json.load(f)['seed'] == 0


def test_scenes_overlap_and_box_fill_is_imperfect():
    ious, inside = [], 0
    for i in range(12):
        rng = np.random.default_rng([7, 1, i])
        img, masks, cats = generate_scene(rng, size=96)
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8
        assert masks.shape[0] == cats.shape[0] >= 1
        assert masks.sum((1, 2)).min() >= 40
        assert (masks.sum(0) <= 1).all()
        boxes = []
        for m in masks:
            ys, xs = np.nonzero(m)
            boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
            ious.append(m.sum() / ((np.ptp(xs) + 1) * (np.ptp(ys) + 1)))
        # a later (smaller, in front) object whose pixels lie inside the box
        # of an earlier one: the case "smaller object better" merging is for
        for j, m in enumerate(masks):
            for x0, y0, x1, y1 in boxes[:j]:
                inside += bool(m[y0:y1, x0:x1].any())
    assert inside > 0
    # a box fill is clearly below 100 IoU, but not hopeless
    assert 0.35 < np.mean(ious) < 0.8
    assert min(ious) < 0.5


def test_salient_sample_and_shapes():
    rng = np.random.default_rng(0)
    img, mask = generate_salient_sample(rng, size=48)
    assert img.shape == (48, 48, 3) and mask.dtype == np.uint8
    # the object differs from the background in colour (learnable)
    fg = img[mask > 0].astype(float).mean(0)
    bg = img[mask == 0].astype(float).mean(0)
    assert np.linalg.norm(fg - bg) > 20
    for shape in SYNTHETIC_CLASSES:
        fill, cut = shape_outline(np.random.default_rng(1), shape)
        assert np.abs(fill).max() <= 1 + 1e-9
        assert (cut is not None) == (shape == 'crescent')
    with pytest.raises(ValueError, match='square'):
        shape_outline(rng, 'square')


def test_masks_to_coco_annotations_hand_made():
    masks = np.zeros((2, 6, 8), bool)
    masks[0, 1:4, 2:5] = True  # rows 1..3, columns 2..4
    masks[1, 5, 7] = True
    anns = masks_to_coco_annotations(masks, np.array([2, 5]), 9, 100)
    assert [a['bbox'] for a in anns] == [[2.0, 1.0, 3.0, 3.0],
                                         [7.0, 5.0, 1.0, 1.0]]
    assert [a['area'] for a in anns] == [9, 1]
    assert [a['id'] for a in anns] == [100, 101]
    assert all(a['image_id'] == 9 for a in anns)
    decoded = mask_utils.decode([a['segmentation'] for a in anns])
    np.testing.assert_array_equal(decoded.transpose(2, 0, 1), masks)


def test_refuses_to_mix_or_delete_foreign_data(tmp_path):
    generate_synthetic_dataset(str(tmp_path), seed=0, **SMALL)
    with pytest.raises(FileExistsError, match='overwrite'):
        generate_synthetic_dataset(str(tmp_path), seed=0, **SMALL)
    info = generate_synthetic_dataset(
        str(tmp_path), seed=0, overwrite=True, **dict(SMALL, num_salient=1))
    assert os.listdir(info['salient_images']) == ['000000.jpg']
    foreign = tmp_path / 'foreign'
    (foreign / 'salient').mkdir(parents=True)
    (foreign / 'salient' / 'mine.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='refusing'):
        generate_synthetic_dataset(str(foreign), overwrite=True, **SMALL)
    assert (foreign / 'salient' / 'mine.txt').read_text() == 'keep me'
    with pytest.raises(ValueError, match='num_objects'):
        generate_synthetic_dataset(str(tmp_path / 'x'), num_objects=(3, 2))


def test_registered_dataset_reads_the_scenes(tmp_path):
    info = generate_synthetic_dataset(str(tmp_path), seed=1, **SMALL)
    ds = DATASETS.build(
        dict(
            type='SyntheticShapesDataset',
            data_root=str(tmp_path),
            ann_file='scenes/annotations.json',
            data_prefix=dict(img='scenes/images/'),
            pipeline=[],
            test_mode=True))
    assert ds.metainfo['classes'] == SYNTHETIC_CLASSES
    assert len(ds) == 3
    item = ds[0]
    assert osp.isfile(item['img_path'])
    assert len(item['instances']) >= 2
    assert info['num_instances'] == sum(
        len(ds[i]['instances']) for i in range(len(ds)))


def test_progress_in_a_log_is_ten_lines(tmp_path, capsys):
    """Not a terminal (pytest captures stdout): one line per tenth of the
    images, not one per image."""
    generate_synthetic_dataset(
        str(tmp_path), seed=0, num_salient=30, num_scenes=15,
        num_val_scenes=5, size=32, show_progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f'synthetic: {5 * k}/50 images' for k in range(1, 11)]
