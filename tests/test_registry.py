"""Scope ``mmboxcaseg`` reaches our modules, every mmdet one, and mmpretrain's by prefix."""
from mmengine.registry import DefaultScope

from mmboxcaseg.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmboxcaseg.utils import register_all_modules


def test_registries_are_children_of_mmdet():
    from mmdet.registry import MODELS as MMDET_MODELS
    assert MODELS.scope == 'mmboxcaseg'
    assert MODELS.parent is MMDET_MODELS
    assert 'mmboxcaseg' in MMDET_MODELS.children


def test_scope_reaches_ours_mmdet_and_mmpretrain():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmboxcaseg'
    # ours
    assert MODELS.get('BoxCaseg') is not None
    assert MODELS.get('BBTPMILLoss') is not None
    # mmdet's, by bare name through the parent
    assert MODELS.get('MaskRCNN').__module__.startswith('mmdet.')
    assert TRANSFORMS.get('PackDetInputs').__module__.startswith('mmdet.')
    assert METRICS.get('CocoMetric').__module__.startswith('mmdet.')
    assert DATASETS.get('CocoDataset').__module__.startswith('mmdet.')
    # mmpretrain's, by scope prefix
    hrnet = MODELS.build(dict(type='mmpretrain.HRNet', arch='w18'))
    assert type(hrnet).__module__.startswith('mmpretrain.')
