"""The Mask R-CNN config the converter writes next to its proxy json
(mmboxcaseg/proxy/mask_rcnn_config.py): boxes json -> proxies -> that
config -> tools/train.py, with no hand edit."""
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmboxcaseg.proxy.mask_rcnn_config import (MARKER, MaskRCNNConfigError,
                                               config_path_for, render,
                                               write_mask_rcnn_config)
from tests.test_proxy.proxy_data import make_dataset
from tests.test_proxy.test_bad_input import cli_main
from tests.tool_loader import load_tool


def _minimal_boxes():
    """Two images, three boxes of two classes; only id / image_id /
    category_id / bbox per box."""

    def box(i, img, cat, xywh):
        return dict(id=i, image_id=img, category_id=cat, bbox=xywh)

    return dict(
        images=[
            dict(id=1, file_name='a.png', width=64, height=48),
            dict(id=2, file_name='b.png', width=64, height=48)
        ],
        annotations=[
            box(1, 1, 3, [4, 4, 20, 16]),
            box(2, 1, 7, [30, 10, 24, 30]),
            box(3, 2, 3, [10, 8, 40, 30])
        ],
        categories=[dict(id=3, name='cat'), dict(id=7, name='dog')])


def _with_masks(coco):
    """The same boxes with a real mask each (a polygon of the box)."""
    coco = json.loads(json.dumps(coco))
    for a in coco['annotations']:
        x, y, w, h = a['bbox']
        a['segmentation'] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        a['area'] = w * h
        a['iscrowd'] = 0
    return coco


def test_config_path_sits_next_to_the_json():
    assert config_path_for('w/x_proxy.json') == 'w/x_proxy_mask-rcnn.py'


def test_render_fills_classes_data_and_no_validation(tmp_path):
    cfg_file = tmp_path / 'p_mask-rcnn.py'
    cfg_file.write_text(render(str(tmp_path / 'p.json'), 'imgs', ['x', 'y']))
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.classes == ('x', 'y')
    assert cfg.model.roi_head.bbox_head.num_classes == 2
    assert cfg.model.roi_head.mask_head.num_classes == 2
    ds = cfg.train_dataloader.dataset
    assert ds.type == 'ProxyCocoDataset'
    assert ds.ann_file == str(tmp_path / 'p.json')
    assert ds.data_prefix.img == osp.join(osp.abspath('imgs'), '')
    assert ds.metainfo.classes == ('x', 'y')
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator',
                'test_dataloader', 'test_cfg', 'test_evaluator'):
        assert cfg[key] is None, key


def test_write_refuses_a_file_it_did_not_write(tmp_path):
    out = str(tmp_path / 'p.json')
    mine = write_mask_rcnn_config(out, 'imgs', ['x'])
    assert open(mine).readline().startswith(MARKER)
    # its own file is rewritten (new classes)
    write_mask_rcnn_config(out, 'imgs', ['x', 'z'])
    assert "('x', 'z')" in open(mine).read()
    with open(mine, 'w') as f:
        f.write('# my edits\n')
    with pytest.raises(MaskRCNNConfigError, match='not written by'):
        write_mask_rcnn_config(out, 'imgs', ['x'])
    assert open(mine).read() == '# my edits\n'
    with pytest.raises(MaskRCNNConfigError, match='used twice'):
        write_mask_rcnn_config(str(tmp_path / 'q.json'), 'imgs', ['x', 'x'])


def test_converter_refuses_a_missing_val_file_before_converting(tmp_path):
    ann, imgs = make_dataset(tmp_path, _minimal_boxes())
    out = tmp_path / 'proxy.json'
    code = cli_main([
        '--ann-file', str(ann), '--img-root', str(imgs), '--out', str(out),
        '--generator', 'boxfill', '--val-ann-file',
        str(tmp_path / 'nope.json'), '--no-progress'
    ])
    assert code == 2
    assert not out.exists()


def test_no_mask_rcnn_config_writes_only_the_proxies(tmp_path, capsys):
    """--no-mask-rcnn-config (a chain with its own detector configs):
    the json and its report, no config and no line naming one."""
    ann, imgs = make_dataset(tmp_path, _minimal_boxes())
    out = tmp_path / 'proxy.json'
    assert cli_main([
        '--ann-file', str(ann), '--img-root', str(imgs), '--out', str(out),
        '--generator', 'boxfill', '--num-workers', '0', '--no-progress',
        '--no-mask-rcnn-config'
    ]) == 0
    assert out.is_file() and (tmp_path / 'proxy.report.json').is_file()
    assert not (tmp_path / 'proxy_mask-rcnn.py').exists()
    assert 'Mask R-CNN config' not in capsys.readouterr().out


def test_boxes_to_trained_mask_rcnn_without_a_hand_edit(tmp_path, capsys):
    """A minimal boxes json -> converter (box fill, fast) -> the written
    config -> tools/train.py: 2 iterations and a validation on real masks
    (the default base config, only its ImageNet init switched off and the
    schedule cut on the command line)."""
    coco = _minimal_boxes()
    ann, imgs = make_dataset(tmp_path, coco)
    val = tmp_path / 'val.json'
    val.write_text(json.dumps(_with_masks(coco)))
    out = tmp_path / 'proxy.json'
    assert cli_main([
        '--ann-file', str(ann), '--img-root', str(imgs), '--out', str(out),
        '--generator', 'boxfill', '--val-ann-file', str(val),
        '--num-workers', '0', '--no-progress'
    ]) == 0
    cfg_path = config_path_for(str(out))
    assert f'python tools/train.py {cfg_path}' in capsys.readouterr().out
    cfg = Config.fromfile(cfg_path)
    assert cfg.classes == ('cat', 'dog')
    assert cfg.val_evaluator.ann_file == str(val)
    # the classes come from the run's report (the input json is read once)
    report = json.loads((tmp_path / 'proxy.report.json').read_text())
    assert report['classes'] == ['cat', 'dog']

    train = load_tool('tools/train.py')
    work = tmp_path / 'work'
    train.main([
        cfg_path, '--work-dir',
        str(work), '--cfg-options', 'model.backbone.init_cfg=None',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False'
    ])
    assert (work / 'iter_2.pth').is_file()
    logs = list(work.rglob('*.log'))
    text = ''.join(p.read_text() for p in logs)
    assert 'coco/segm_mAP' in text and 'coco/bbox_mAP' in text
