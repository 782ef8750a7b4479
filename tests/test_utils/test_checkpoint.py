"""Resume under torch >= 2.6 (weights_only on) and refusal of foreign
pickles."""
import os
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

import mmboxcaseg  # noqa: F401  (registers the safe globals)

CONFIG = os.path.join(os.path.dirname(__file__), '..', 'data',
                      'toy_config.py')


def _runner(work_dir, max_iters, resume):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_iters = max_iters
    cfg.resume = resume
    cfg.experiment_name = f'toy_{max_iters}_{resume}'
    return Runner.from_cfg(cfg)


def test_a_refusal_is_explained_without_advising_unsafe_loading(tmp_path):
    from mmboxcaseg.utils import explain_refusal, is_refusal
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {}, 'meta': _Evil(str(tmp_path / 'x'))}, bad)
    with pytest.raises(pickle.UnpicklingError) as info:
        _load_checkpoint(str(bad), map_location='cpu')
    assert is_refusal(info.value)
    assert not is_refusal(RuntimeError('size mismatch'))
    msg = explain_refusal(str(bad), info.value)
    assert str(bad) in msg and 'not allowed' in msg
    assert 'posix.system' in msg  # names what was refused
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1' in msg
    assert 'weights_only=False' not in msg


def test_resume_trains_on(tmp_path):
    runner = _runner(tmp_path, max_iters=2, resume=False)
    runner.train()
    ckpt = tmp_path / 'iter_2.pth'
    assert ckpt.is_file()
    w_after_2 = runner.model.linear.weight.detach().clone()

    # the checkpoint holds MMEngine's message hub (HistoryBuffer objects)
    loaded = torch.load(ckpt, map_location='cpu')  # weights_only default
    assert 'message_hub' in loaded and loaded['meta']['iter'] == 2
    assert 'log_scalars' in loaded['message_hub']

    resumed = _runner(tmp_path, max_iters=4, resume=True)
    resumed.train()
    assert resumed.iter == 4
    assert (tmp_path / 'iter_4.pth').is_file()
    # it started from the saved weights, then trained on: different again
    state = torch.load(tmp_path / 'iter_4.pth', map_location='cpu')
    assert state['meta']['iter'] == 4
    assert not torch.equal(state['state_dict']['linear.weight'], w_after_2)
    # the message hub came back: the loss history spans iterations 1..4
    hist = resumed.message_hub.get_scalar('train/loss')
    assert len(hist.data[0]) >= 3


class _Evil:
    """Unpickling this would run code (writes a marker file)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f'touch {self.path}', ))


def _evil_checkpoint(tmp_path):
    """A checkpoint whose loading, if allowed, would write ``marker``."""
    marker = tmp_path / 'pwned'
    bad = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': _Evil(str(marker))}, bad)
    return bad, marker


def test_foreign_pickle_is_refused(tmp_path):
    bad, marker = _evil_checkpoint(tmp_path)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(bad), map_location='cpu')
    assert not marker.exists()


def test_unknown_class_is_refused(tmp_path):
    # a harmless but unlisted class is refused too: the list is exact
    bad = tmp_path / 'odd.pth'
    torch.save({'meta': {'hook': Config(dict(a=1))}}, bad)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(bad), map_location='cpu')


class _GetattrEscape:
    """``getattr(HistoryBuffer, '__init__')``: an attempt to walk out of the
    allow-list through the restricted getattr."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_restricted_getattr_refuses_other_attributes(tmp_path):
    bad = tmp_path / 'escape.pth'
    torch.save({'meta': _GetattrEscape()}, bad)
    with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
        _load_checkpoint(str(bad), map_location='cpu')


def test_a_shape_mismatch_is_a_refusal_naming_the_key(tmp_path):
    """MMEngine reports a shape mismatch as "... loaded state dict do not
    match exactly / size mismatch for KEY" (no "state_dict" in it)."""
    from mmboxcaseg.utils import CheckpointRefused
    from mmboxcaseg.utils.checkpoint import load_strictly
    from mmengine.runner import load_checkpoint
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1),
                                torch.nn.BatchNorm2d(2))
    state = model.state_dict()
    state['1.running_var'] = torch.ones(5)
    ckpt = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state), ckpt)
    with pytest.raises(CheckpointRefused) as info:
        load_strictly(
            lambda: load_checkpoint(model, str(ckpt), strict=True),
            str(ckpt))
    msg = str(info.value)
    assert str(ckpt) in msg and 'does not fit' in msg
    assert 'size mismatch for 1.running_var' in msg
