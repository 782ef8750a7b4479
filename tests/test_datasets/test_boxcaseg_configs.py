"""The segmentor configs load, and the CPU config's dataloaders work."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from tests.test_datasets.boxcaseg_tiny_data import write_coco, write_salient

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(ROOT, 'configs/boxcaseg/*.py')) +
    glob.glob(osp.join(ROOT, 'configs/_base_/datasets/*.py')) +
    glob.glob(osp.join(ROOT, 'configs/_base_/schedules/*.py')))
CPU = osp.join(
    ROOT, 'configs/boxcaseg/'
    'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_loads(path):
    cfg = Config.fromfile(path)
    if 'boxcaseg/' in path:
        assert cfg.default_scope == 'mmboxcaseg'
        assert cfg.randomness.seed == 1234
        assert cfg.val_evaluator.type == 'BoxMaskMetric'
        assert cfg.model.type == 'BoxCaseg'
        assert cfg.param_scheduler[0].type == 'PolyLR'
        assert cfg.param_scheduler[0].power == 0.9
        optimizer = cfg.optim_wrapper.optimizer
        if cfg.model.get('frozen_segmentor'):  # a quality head alone
            assert optimizer.type == 'AdamW' and cfg.load_from
        else:
            assert optimizer.momentum == 0.9
            assert optimizer.weight_decay == 1e-4


def test_paper_settings():
    voc = Config.fromfile(
        osp.join(
            ROOT, 'configs/boxcaseg/'
            'boxcaseg_hrnetv2-w48_2xb16-40e_voc-duts.py'))
    coco = Config.fromfile(
        osp.join(
            ROOT, 'configs/boxcaseg/'
            'boxcaseg_hrnetv2-w48_2xb16-40e_coco-duts.py'))
    assert voc.optim_wrapper.optimizer.lr == 0.004
    assert voc.train_cfg.max_epochs == 40
    assert voc.train_dataloader.batch_size == 16
    assert coco.optim_wrapper.optimizer.lr == 0.008
    assert coco.model.salient_weight == 0.6
    assert coco.train_dataloader.batch_sampler.box_ratio == (11, 5)
    heads = {}
    for name in ('weak-only', 'weak-salient', 'weak-transferred', 'all-heads'):
        # the default config trains all three heads
        suffix = '' if name == 'all-heads' else f'_{name}'
        cfg = Config.fromfile(CPU[:-3] + f'{suffix}.py')
        heads[name] = (cfg.model.salient_head
                       is not None, cfg.model.transferred_head is not None)
    assert heads == {
        'weak-only': (False, False),
        'weak-salient': (True, False),
        'weak-transferred': (False, True),
        'all-heads': (True, True)
    }


def _tiny_cpu_cfg(tmp_path):
    cfg = Config.fromfile(CPU)
    box_root, ann = write_coco(tmp_path / 'coco')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(9)])
    # the box set and the first salient set (davis345, then sod204)
    box_set, sal_set = cfg.train_dataloader.dataset.datasets[:2]
    cfg.train_dataloader.dataset.datasets = [box_set, sal_set]
    box_set.update(data_root=box_root, ann_file=ann)
    sal_set.update(data_root=sal_root)
    cfg.val_dataloader.dataset.update(data_root=box_root, ann_file=ann)
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(num_workers=0, persistent_workers=False)
    return cfg


def test_cpu_train_dataloader_ratio_and_shapes(tmp_path):
    cfg = _tiny_cpu_cfg(tmp_path)
    init_default_scope('mmboxcaseg')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=1234)
    w, h = cfg.crop_size
    assert len(loader) == 1  # 9 salient images // 7 per batch
    batch = next(iter(loader))
    sources = [s.source for s in batch['data_samples']]
    assert sources.count('box') == 9 and sources.count('salient') == 7
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        assert inputs.dtype == torch.uint8 and inputs.shape == (3, h, w)
        assert sample.gt_label.dtype == torch.uint8
        assert sample.gt_label.shape == (1, h, w)
        assert set(sample.gt_label.unique().tolist()) <= {0, 1}
        assert sample.gt_label.any()
    salient = {
        s.img_path
        for s in batch['data_samples'] if s.source == 'salient'
    }
    assert len(salient) == 7


def test_cpu_val_dataloader_gives_eval_samples(tmp_path):
    cfg = _tiny_cpu_cfg(tmp_path)
    init_default_scope('mmboxcaseg')
    loader = Runner.build_dataloader(cfg.val_dataloader)
    batch = next(iter(loader))
    # one sample per image with its boxes: images 1, 2, 3 of write_coco
    samples = batch['data_samples']
    assert [s.ann_ids for s in samples[:3]] == [[1, 2], [4, 5, 6], [7, 9]]
    w, h = cfg.test_scale
    for crops, sample in zip(batch['inputs'], samples):
        inputs = crops.load()  # cut when the model loads them
        assert inputs.dtype == torch.uint8
        assert inputs.shape == (int(sample.valid.sum()), 3, h, w)
        assert len(sample.regions) == len(inputs)
        assert len(sample.segmentations) == len(sample.ann_ids)
    first = samples[0]
    assert first.regions[0].tolist() == [4, 6, 24, 16]
    assert first.valid.tolist() == [True, True]
    # image 2: ann 4 (empty box) and ann 6 (outside) are skipped, not lost
    assert samples[1].valid.tolist() == [False, True, False]


@pytest.mark.parametrize('data', ['coco128', 'pennfudan'])
def test_longer_schedule_changes_only_the_length(data):
    """The recipe trains 2000 iterations; -4k: the same at 4000 (the poly LR
    has no fixed end, so it stretches), validated and saved at the end, with
    the weight average; nothing else differs."""
    cfgs = osp.join(ROOT, 'configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu')
    one = Config.fromfile(f'{cfgs}_{data}-salient.py')
    assert 'end' not in one.param_scheduler[0]
    assert one.train_cfg.max_iters == one.train_cfg.val_interval == 2000
    assert 'custom_hooks' not in one
    cfg = Config.fromfile(f'{cfgs}-4k_{data}-salient.py')
    assert cfg.train_cfg.max_iters == 4000
    assert cfg.train_cfg.val_interval == 4000
    assert cfg.default_hooks.checkpoint.interval == 4000
    assert [h.type for h in cfg.custom_hooks] == ['EMAHook']
    assert cfg.model == one.model
    assert cfg.train_dataloader == one.train_dataloader
    assert cfg.optim_wrapper == one.optim_wrapper
    assert cfg.param_scheduler == one.param_scheduler


def test_quality_config_trains_the_head_alone_on_salient_crops(tmp_path):
    """The quality head's config: salient crops only, at the test size,
    through mmdet's MultiImageMixDataset (PasteOccluder's second image);
    a train step moves nothing but the quality head."""
    from mmengine.optim import build_optim_wrapper

    from mmboxcaseg.registry import MODELS
    cfg = Config.fromfile(CPU[:-3] + '_quality.py')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(6)])
    sets = cfg.train_dataloader.dataset.dataset.datasets
    cfg.train_dataloader.dataset.dataset.datasets = [sets[0]]
    sets[0].update(data_root=sal_root)
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False)
    init_default_scope('mmboxcaseg')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=1234)
    batch = next(iter(loader))
    w, h = cfg.test_scale
    assert [s.source for s in batch['data_samples']] == ['salient'] * 4
    assert all(x.shape == (3, h, w) for x in batch['inputs'])
    cfg.model.backbone.init_cfg = None  # no ImageNet weights in tests
    model = MODELS.build(cfg.model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    losses = model.train_step(batch, optim)
    assert set(losses) == {'loss', 'loss_quality'}
    changed = {k.split('.')[0] for k, v in model.state_dict().items()
               if not torch.equal(v, before[k])}
    assert changed == {'quality_head'}


def test_every_box_set_config_pools_both_box_sets(tmp_path):
    """coco128 + PennFudan boxes: the default recipe with a second box set
    whose crops share the 9 box places of every batch (the ratio sampler
    pools sub-sets by source), the rest of the recipe unchanged."""
    cfg = Config.fromfile(CPU.replace('coco128-salient', 'coco128-pennfudan'
                                      '-salient'))
    one = Config.fromfile(CPU)
    assert cfg.model == one.model and cfg.val_dataloader == one.val_dataloader
    assert cfg.train_cfg == one.train_cfg
    sets = cfg.train_dataloader.dataset.datasets
    assert [(s.type, s.data_root) for s in sets] == [
        ('BoxCropDataset', 'data/coco128/'),
        ('BoxCropDataset', 'data/pennfudan/'),
        ('SalientDataset', 'data/davis345/'),
        ('SalientDataset', 'data/sod204/')]
    assert sets[1].pipeline == sets[0].pipeline
    # tiny stand-ins: two box roots (5 usable boxes each), one salient set
    roots = [write_coco(tmp_path / name) for name in ('a', 'b')]
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(14)])
    for s, (root, ann) in zip(sets, roots):
        s.update(data_root=root, ann_file=ann)
    sets[2].update(data_root=sal_root)
    cfg.train_dataloader.dataset.datasets = sets[:3]
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    init_default_scope('mmboxcaseg')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=1234)
    assert len(loader) == 2  # 14 salient images // 7 per batch
    boxes = []
    for batch in loader:
        sources = [s.source for s in batch['data_samples']]
        assert sources.count('box') == 9 and sources.count('salient') == 7
        boxes += [
            s.img_path for s in batch['data_samples'] if s.source == 'box'
        ]
    # 18 box crops from 10 boxes: every box of both roots before a repeat
    roots_seen = [str(tmp_path / 'a') in p for p in boxes[:10]]
    assert sorted(roots_seen) == [False] * 5 + [True] * 5
