"""The model index lists every config of configs/boxcaseg and
configs/proxy_mask_rcnn once, each with its own architecture (what
``mim search`` shows)."""
import glob
import os.path as osp

import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))


def _models():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    models = []
    for meta in index['Import']:
        models += yaml.safe_load(open(osp.join(ROOT, meta)))['Models']
    return models


def test_every_config_is_in_the_index_once():
    configs = sorted(
        osp.relpath(p, ROOT)
        for d in ('boxcaseg', 'proxy_mask_rcnn')
        for p in glob.glob(osp.join(ROOT, 'configs', d, '*.py')))
    listed = [m['Config'] for m in _models()]
    assert sorted(listed) == configs
    for m in _models():  # the name is the config's file name
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]


def test_each_model_names_its_own_backbone():
    for m in _models():
        arch = m['Metadata']['Architecture']
        text = open(osp.join(ROOT, m['Config'])).read()
        lite = [n for n in ('lite0', 'lite2') if f'effnet-{n}' in m['Name']]
        if lite:
            assert arch[0] == f'EfficientNet-{lite[0].capitalize()}', \
                m['Name']
            assert 'hrnet' not in ' '.join(arch).lower().replace(
                'hrnetv2-style', ''), m['Name']
        elif 'hrnetv2' in m['Name']:
            assert arch == ['HRNetV2-W48'] and 'w48' in text.lower()
        else:
            assert arch[0] in ('ResNet-50', 'ResNet-101'), m['Name']


def test_no_two_configs_are_the_same_config():
    """A config that only renames another would be one model listed twice
    (loaded configs compared, comments and file names aside)."""
    from mmengine.config import Config
    seen = {}
    for m in _models():
        cfg = Config.fromfile(osp.join(ROOT, m['Config'])).to_dict()
        key = repr(sorted(cfg.items(), key=lambda kv: kv[0]))
        assert key not in seen, f"{m['Config']} equals {seen.get(key)}"
        seen[key] = m['Config']
