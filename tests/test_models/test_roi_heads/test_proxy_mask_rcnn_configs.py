"""Every Proxy Mask R-CNN config loads and builds its model (no weights)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import mmboxcaseg.models.roi_heads  # noqa: F401
from mmboxcaseg.registry import MODELS
from mmboxcaseg.utils import register_all_modules

register_all_modules()

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs', 'proxy_mask_rcnn', '*.py')))


def _name(path):
    return osp.basename(path)


def test_all_expected_configs_exist():
    names = {_name(p) for p in CONFIGS}
    assert {
        'proxy-mask-rcnn_r50_fpn_1x_coco.py',
        'proxy-mask-rcnn_r101_fpn_1x_coco.py',
        'proxy-mask-rcnn_r50_fpn_voc.py', 'proxy-mask-rcnn_r101_fpn_voc.py',
        'proxy-mask-rcnn_r50_fpn_cpu_coco128.py'
    } <= names


@pytest.mark.parametrize('path', CONFIGS, ids=_name)
def test_config_loads_and_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmboxcaseg'
    train = cfg.train_dataloader.dataset
    assert train.type == 'ProxyCocoDataset'
    types = [t.type for t in train.pipeline]
    assert types[1] == 'LoadProxyAnnotations'
    assert types[-1] == 'PackProxyDetInputs'
    roi = cfg.model.roi_head
    assert roi.type == 'IgnoreAwareRoIHead'
    assert roi.mask_head.type == 'IgnoreAwareFCNMaskHead'

    cfg.model.backbone.init_cfg = None  # no weights in tests
    model = MODELS.build(cfg.model)
    num_classes = 20 if 'voc' in path else 5 if 'synthetic' in path \
        else 1 if 'pennfudan' in path else 80
    assert model.roi_head.bbox_head.num_classes == num_classes
    assert model.roi_head.mask_head.num_classes == num_classes
    if 'r101' in path:
        assert len(model.backbone.layer3) == 23
    if 'cpu' in path:  # the CPU model runs a forward pass on CPU
        model.eval()
        with torch.no_grad():
            feats = model.extract_feat(torch.zeros(1, 3, 64, 96))
        assert [f.shape[-2:] for f in feats][:2] == [(16, 24), (8, 12)]


def test_voc_schedule_is_the_papers():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'proxy_mask_rcnn',
                 'proxy-mask-rcnn_r50_fpn_voc.py'))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == 22500
    warmup, step = cfg.param_scheduler
    assert (warmup.type, warmup.end, warmup.by_epoch) == ('LinearLR', 500,
                                                          False)
    assert step.milestones == [15000] and not step.by_epoch
    assert cfg.optim_wrapper.optimizer.lr == 0.0075
    assert cfg.auto_scale_lr.base_batch_size == 6
    assert cfg.val_evaluator.type == 'mmboxcaseg.VOCMaskMetric'
    assert len(cfg.train_dataloader.dataset.metainfo.classes) == 20
    scale = [
        t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'Resize'
    ][0].scale
    assert tuple(scale) == (1333, 800)


def _tiny_coco(tmp_path):
    """Two 48 x 64 images, box-fill proxy masks, one of them ignored."""
    import json

    import cv2
    import numpy as np
    import pycocotools.mask as mask_utils
    from mmdet.datasets import CocoDataset
    rng = np.random.RandomState(0)
    images, gt_anns, proxy_anns = [], [], []
    for img_id in (1, 2):
        name = f'{img_id}.jpg'
        cv2.imwrite(
            str(tmp_path / name),
            rng.randint(0, 255, (48, 64, 3)).astype(np.uint8))
        images.append(dict(id=img_id, file_name=name, height=48, width=64))
        for k, (x, y, w, h) in enumerate([(4, 4, 30, 20), (30, 20, 30, 26)]):
            m = np.zeros((48, 64), np.uint8)
            m[y:y + h, x:x + w] = 1
            rle = mask_utils.encode(np.asfortranarray(m))
            rle['counts'] = rle['counts'].decode()
            ann = dict(
                id=10 * img_id + k,
                image_id=img_id,
                category_id=1 + k,
                bbox=[x, y, w, h],
                area=w * h,
                iscrowd=0,
                segmentation=rle)
            gt_anns.append(ann)
            proxy_anns.append(
                dict(ann, proxy_agreement=0.5 * (1 + k), mask_ignored=k == 0))
    cats = [
        dict(id=i + 1, name=n)
        for i, n in enumerate(CocoDataset.METAINFO['classes'])
    ]
    for name, anns in (('gt.json', gt_anns), ('proxy.json', proxy_anns)):
        (tmp_path / name).write_text(
            json.dumps(dict(images=images, annotations=anns, categories=cats)))


def test_cpu_config_trains_and_evaluates(tmp_path):
    """Runner end to end: scopes, dataset, transforms, heads, metric."""
    from mmengine.runner import Runner
    _tiny_coco(tmp_path)
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'proxy_mask_rcnn',
                 'proxy-mask-rcnn_r50_fpn_cpu_coco128.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = 2
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger.interval = 1
    data = str(tmp_path) + '/'
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.num_workers, loader.persistent_workers = 0, False
        for t in loader.dataset.pipeline:
            if t.type == 'Resize':
                t.scale = (64, 64)
    cfg.train_dataloader.dataset.ann_file = data + 'proxy.json'
    cfg.train_dataloader.dataset.data_prefix = dict(img=data)
    cfg.val_dataloader.dataset.data_root = data
    cfg.val_dataloader.dataset.ann_file = 'gt.json'
    cfg.val_evaluator.ann_file = data + 'gt.json'
    cfg.test_dataloader, cfg.test_evaluator = cfg.val_dataloader, \
        cfg.val_evaluator

    runner = Runner.from_cfg(cfg)
    runner.train()
    train_set = runner.train_dataloader.dataset
    assert type(train_set).__name__ == 'ProxyCocoDataset'
    gt = train_set[0]['data_samples'].gt_instances
    assert gt.mask_ignored.tolist() == [True, False]
    scalars = runner.message_hub.log_scalars
    assert 'train/loss_mask' in scalars and 'train/loss_bbox' in scalars
    assert type(runner.val_evaluator.metrics[0]).__name__ == 'CocoMetric'


def test_voc_config_builds_dataset_and_metric(tmp_path):
    """As the Runner builds them: root registries, the config's scope."""
    import json

    from mmengine.registry import DATASETS, METRICS, DefaultScope
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'proxy_mask_rcnn',
                 'proxy-mask-rcnn_r50_fpn_voc.py'))
    classes = cfg.voc_classes
    ann = dict(
        images=[dict(id=1, file_name='a.jpg', height=40, width=40)],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=20,
                bbox=[1, 1, 4, 4],
                area=16,
                iscrowd=0,
                mask_ignored=True,
                segmentation=[[1, 1, 5, 1, 5, 5, 1, 5]])
        ],
        categories=[dict(id=i + 1, name=n) for i, n in enumerate(classes)])
    path = tmp_path / 'voc.json'
    path.write_text(json.dumps(ann))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        train = DATASETS.build(
            dict(
                cfg.train_dataloader.dataset,
                ann_file=str(path),
                data_root=str(tmp_path)))
        metric = METRICS.build(dict(cfg.val_evaluator, ann_file=str(path)))
    inst = train.get_data_info(0)['instances'][0]
    assert inst['bbox_label'] == 19 and inst['mask_ignored'] is True
    assert type(metric).__name__ == 'VOCMaskMetric'
    assert metric.iou_thrs == [0.25, 0.5, 0.7, 0.75]
