"""ProxyCocoDataset reads ``mask_ignored`` onto the right instances."""
import json

import cv2
import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

from mmboxcaseg.datasets import ProxyCocoDataset
from mmboxcaseg.utils import register_all_modules

register_all_modules()  # default scope 'mmboxcaseg' for the pipeline

H, W = 32, 48
CLASSES = ('cat', 'dog')


def _rle(x1, y1, x2, y2):
    m = np.zeros((H, W), dtype=np.uint8)
    m[y1:y2, x1:x2] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle['counts'] = rle['counts'].decode()
    return rle


def _ann(ann_id, img_id, box, cat=1, **extra):
    x1, y1, x2, y2 = box
    ann = dict(
        id=ann_id,
        image_id=img_id,
        category_id=cat,
        bbox=[x1, y1, x2 - x1, y2 - y1],
        area=(x2 - x1) * (y2 - y1),
        iscrowd=0,
        segmentation=_rle(*box))
    ann.update(extra)
    return ann


def _write(tmp_path, anns, categories=None, name='proxy.json'):
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((H, W, 3), np.uint8))
    data = dict(
        images=[dict(id=1, file_name='a.png', height=H, width=W)],
        annotations=anns,
        categories=categories
        or [dict(id=1, name='cat'),
            dict(id=2, name='dog')])
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def _dataset(tmp_path, anns, **kwargs):
    kwargs.setdefault('metainfo', dict(classes=CLASSES))
    kwargs.setdefault('pipeline', [])
    return ProxyCocoDataset(
        ann_file=_write(tmp_path, anns),
        data_prefix=dict(img=str(tmp_path) + '/'),
        **kwargs)


def _anns():
    return [
        _ann(10, 1, (1, 1, 9, 9), mask_ignored=True, proxy_agreement=0.5),
        # skipped by CocoDataset (zero area): must not shift the flags
        _ann(11, 1, (2, 2, 2, 9), mask_ignored=True, proxy_agreement=0.1),
        _ann(12, 1, (10, 3, 20, 12), cat=2, proxy_agreement=0.97),
        _ann(13, 1, (22, 5, 40, 30), mask_ignored=False, proxy_agreement=0.9),
    ]


def test_flags_follow_their_annotation(tmp_path):
    ds = _dataset(tmp_path, _anns())
    insts = ds.get_data_info(0)['instances']
    assert [i['bbox'] for i in insts] == [[1, 1, 9, 9], [10, 3, 20, 12],
                                          [22, 5, 40, 30]]
    assert [i['mask_ignored'] for i in insts] == [True, False, False]
    assert [i['proxy_agreement'] for i in insts] == [0.5, 0.97, 0.9]
    assert [i['bbox_label'] for i in insts] == [0, 1, 0]


def test_agreement_threshold_redecides_the_drop(tmp_path):
    ds = _dataset(tmp_path, _anns(), agreement_thr=0.95)
    insts = ds.get_data_info(0)['instances']
    # 0.5 < 0.95, 0.97 kept, 0.9 dropped although the file keeps it
    assert [i['mask_ignored'] for i in insts] == [True, False, True]


def test_agreement_threshold_needs_agreement(tmp_path):
    anns = _anns()
    del anns[2]['proxy_agreement']
    with pytest.raises(ValueError, match='annotation 12 of image 1'):
        _dataset(tmp_path, anns, agreement_thr=0.5)


def test_bad_flag_names_the_annotation(tmp_path):
    anns = _anns()
    anns[3]['mask_ignored'] = 'no'
    with pytest.raises(ValueError, match=r'proxy\.json: annotation 13'):
        _dataset(tmp_path, anns)


def test_missing_proxy_mask_is_an_error(tmp_path):
    anns = _anns()
    del anns[2]['segmentation']
    with pytest.raises(ValueError, match=r'a\.png.*no proxy mask'):
        _dataset(tmp_path, anns)


def test_crowd_box_needs_no_mask(tmp_path):
    anns = _anns()
    anns[2]['iscrowd'] = 1
    del anns[2]['segmentation']
    ds = _dataset(tmp_path, anns)
    insts = ds.get_data_info(0)['instances']
    assert insts[1]['ignore_flag'] == 1 and insts[1]['mask'] == []


def test_unknown_class_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="'bird'"):
        _dataset(
            tmp_path, _anns(), metainfo=dict(classes=('cat', 'dog', 'bird')))


def test_pipeline_packs_mask_ignored(tmp_path):
    ds = _dataset(
        tmp_path,
        _anns(),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadProxyAnnotations', with_bbox=True, with_mask=True),
            dict(type='PackProxyDetInputs'),
        ])
    gt = ds[0]['data_samples'].gt_instances
    assert torch.equal(gt.mask_ignored, torch.tensor([True, False, False]))
    assert gt.masks.masks[0].sum() == 64


@pytest.mark.parametrize('config', [
    'proxy-mask-rcnn_r50_fpn_1x_coco.py',
    'proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py',
    'proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py',
    'proxy-mask-rcnn_effnet-lite0_fpn_cpu_synthetic.py'
])
def test_stage3_skips_an_image_that_does_not_decode(tmp_path, config):
    """The Mask R-CNN configs' training pipeline skips (and counts) an image
    whose header is valid but whose data is not, as stage 1 does, instead
    of failing at whichever iteration draws it."""
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(root, 'configs', 'proxy_mask_rcnn', config))
    anns = [_ann(1, 1, (1, 1, 9, 9)), _ann(2, 2, (3, 3, 20, 12))]
    path = _write(tmp_path, anns)
    data = json.loads(open(path).read())
    data['images'].append(dict(id=2, file_name='b.jpg', height=H, width=W))
    open(path, 'w').write(json.dumps(data))
    cv2.imwrite(str(tmp_path / 'b.jpg'), np.full((H, W, 3), 99, np.uint8))
    whole = (tmp_path / 'b.jpg').read_bytes()
    (tmp_path / 'b.jpg').write_bytes(whole[:len(whole) // 2])  # truncated
    ds = ProxyCocoDataset(
        ann_file=path,
        data_prefix=dict(img=str(tmp_path) + '/'),
        metainfo=dict(classes=CLASSES),
        pipeline=cfg.train_pipeline)
    assert [ds.get_data_info(i)['img_id'] for i in range(2)] == [1, 2]
    np.random.seed(0)  # mmengine draws the replacement with it
    sample = ds[1]  # image 2: skipped, another sample drawn
    assert sample['data_samples'].img_id == 1
