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


def test_runner_builds_are_quiet():
    """What every tool run builds prints neither MMEngine's fallback
    warning (``Failed to search registry with scope "mmboxcaseg"``, a
    registry we lacked) nor setuptools' ``pkg_resources is deprecated``
    (mmengine imports it; requirements pin a setuptools that does not
    warn): a fresh interpreter with Python's default warning filters."""
    import subprocess
    import sys
    code = '\n'.join([
        'from mmengine.registry import DefaultScope, LOG_PROCESSORS',
        'from mmengine.utils import get_installed_path',
        'import mmengine.runner  # registers LogProcessor',
        'import mmboxcaseg.registry',
        "DefaultScope.get_instance('quiet', scope_name='mmboxcaseg')",
        "LOG_PROCESSORS.build(dict(type='LogProcessor'))",
        "print(get_installed_path('mmengine'))",
    ])
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert 'Failed to search registry' not in out, out
    assert 'pkg_resources' not in out, out
