"""publish_model.py: weights only + sha256; --raw takes an EMAHook run's raw
weights out of ``ema_state_dict``."""
import hashlib
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import EMAHook

from tests.tool_loader import load_tool

TOOL = 'tools/model_converters/publish_model.py'


def _ema_checkpoint(tmp_path):
    """A checkpoint laid out by a real EMAHook: the average in state_dict."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    hook = EMAHook(momentum=0.5, update_buffers=True)
    runner = SimpleNamespace(model=model)
    hook.before_run(runner)  # the average starts as a copy of the weights
    start = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model[0].weight.add_(1.0)  # the raw weights move on, the copy not
    raw = {k: v.clone() for k, v in model.state_dict().items()}
    ckpt = dict(state_dict=model.state_dict(), meta=dict(iter=7),
                optimizer=dict(state={}))
    hook.before_save_checkpoint(runner, ckpt)
    src = str(tmp_path / 'iter_7.pth')
    torch.save(ckpt, src)
    return src, start, raw


def test_publish_keeps_the_average_and_raw_takes_the_raw_weights(tmp_path):
    tool = load_tool(TOOL)
    src, start, raw = _ema_checkpoint(tmp_path)
    out = str(tmp_path / 'model.pth')
    assert tool.main([src, out]) == 0
    pub = torch.load(out, map_location='cpu')
    assert set(pub) == {'state_dict', 'meta'}  # no optimizer, no ema copy
    assert pub['meta']['weights'] == 'ema' and pub['meta']['iter'] == 7
    assert torch.equal(pub['state_dict']['0.weight'], start['0.weight'])
    digest = hashlib.sha256(open(out, 'rb').read()).hexdigest()
    assert open(out + '.sha256').read() == f'{digest}  model.pth\n'

    out_raw = str(tmp_path / 'model_raw.pth')
    assert tool.main([src, out_raw, '--raw']) == 0
    pub_raw = torch.load(out_raw, map_location='cpu')
    assert pub_raw['meta']['weights'] == 'raw'
    assert set(pub_raw['state_dict']) == set(raw)
    for k, v in raw.items():
        assert torch.equal(pub_raw['state_dict'][k], v), k
    assert not torch.equal(pub_raw['state_dict']['0.weight'],
                           pub['state_dict']['0.weight'])


def test_raw_without_ema_and_overwrite_are_refused(tmp_path, capsys):
    tool = load_tool(TOOL)
    model = torch.nn.Linear(3, 2)
    src = str(tmp_path / 'plain.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), src)
    assert tool.main([src, str(tmp_path / 'x.pth'), '--raw']) == 2
    assert 'no ema_state_dict' in capsys.readouterr().err
    before = open(src, 'rb').read()
    assert tool.main([src, src]) == 2
    assert 'would overwrite' in capsys.readouterr().err
    assert open(src, 'rb').read() == before
    out = str(tmp_path / 'plain_pub.pth')
    assert tool.main([src, out]) == 0
    assert torch.load(out)['meta']['weights'] == 'raw'


@pytest.mark.parametrize('missing', ['file', 'state_dict'])
def test_bad_source_is_named(tmp_path, capsys, missing):
    tool = load_tool(TOOL)
    src = str(tmp_path / 'bad.pth')
    if missing == 'state_dict':
        torch.save(dict(meta={}), src)
    assert tool.main([src, str(tmp_path / 'y.pth')]) == 2
    assert src in capsys.readouterr().err
