"""A user error in what a tool is given ends the tool with one line,
``error: ...`` naming the file or setting, and a non-zero exit: no
traceback (mmboxcaseg.utils.user_errors)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from tests.test_proxy.proxy_data import make_dataset
from tests.test_utils.test_checkpoint import _evil_checkpoint
from tests.tool_loader import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _exit_line(main, argv, *names):
    """Run ``main(argv)``: it must end in ``SystemExit('error: ...')`` on
    one line that names each of ``names``; returns the line."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    msg = info.value.code
    assert isinstance(msg, str) and msg.startswith('error: '), msg
    assert '\n' not in msg, msg
    for name in names:
        assert str(name) in msg, (name, msg)
    return msg


def _returned_line(capsys, code, *names):
    """A tool that printed ``error: ...`` and returned 2."""
    assert code == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    lines = [ln for ln in err.splitlines() if ln.startswith('error: ')]
    assert len(lines) == 1, err
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    return lines[0]


def _refusal(msg, path):
    assert str(path) in msg and 'not allowed' in msg
    assert 'weights_only=False' not in msg


def _other_model_checkpoint(tiny_boxcaseg, tmp_path):
    """The tiny model's weights with one BN buffer of another width: the
    keys match, a shape does not."""
    _, ckpt = tiny_boxcaseg
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    key = next(k for k in state if k.endswith('running_var'))
    state[key] = torch.ones(state[key].numel() + 3)
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state, meta=dict()), other)
    return other, key


# ------------------------------------------------------------ tools/test.py
def _test_argv(tiny_boxcaseg, tmp_path, *extra, ckpt=None):
    cfg, good = tiny_boxcaseg
    ann, imgs = make_dataset(tmp_path)
    return [
        cfg, str(ckpt or good), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.ann_file={ann}',
        f'test_dataloader.dataset.data_prefix.img={imgs}/'
    ] + list(extra)


def test_test_py_unknown_model_key(tiny_boxcaseg, tmp_path):
    argv = _test_argv(tiny_boxcaseg, tmp_path, 'model.nonexistent=1')
    _exit_line(load_tool('tools/test.py').main, argv, tiny_boxcaseg[0],
               'nonexistent')


def test_test_py_unknown_pred(tiny_boxcaseg, tmp_path):
    argv = _test_argv(tiny_boxcaseg, tmp_path, 'model.test_cfg.pred=bogus')
    _exit_line(load_tool('tools/test.py').main, argv, tiny_boxcaseg[0],
               "'bogus'", 'test_cfg.pred')


def test_test_py_checkpoint_of_another_model(tiny_boxcaseg, tmp_path):
    other, key = _other_model_checkpoint(tiny_boxcaseg, tmp_path)
    argv = _test_argv(tiny_boxcaseg, tmp_path, ckpt=other)
    msg = _exit_line(load_tool('tools/test.py').main, argv, other,
                     f'size mismatch for {key}')
    assert 'does not fit' in msg


# ---------------------------------------------------------- the converter
def _converter_argv(tiny_boxcaseg, tmp_path, *options):
    cfg, ckpt = tiny_boxcaseg
    ann, imgs = make_dataset(tmp_path)
    return [
        '--ann-file',
        str(ann), '--img-root',
        str(imgs), '--out',
        str(tmp_path / 'proxy.json'), '--config', cfg, '--checkpoint', ckpt,
        '--num-workers', '0', '--no-progress', '--cfg-options'
    ] + list(options)


def test_converter_unknown_model_key(tiny_boxcaseg, tmp_path, capsys):
    tool = load_tool('tools/generate_proxy_masks.py')
    code = tool.main(
        _converter_argv(tiny_boxcaseg, tmp_path, 'model.nonexistent=1'))
    _returned_line(capsys, code, tiny_boxcaseg[0], 'nonexistent')
    assert not (tmp_path / 'proxy.json').exists()


def test_converter_unknown_pred(tiny_boxcaseg, tmp_path, capsys):
    tool = load_tool('tools/generate_proxy_masks.py')
    code = tool.main(
        _converter_argv(tiny_boxcaseg, tmp_path,
                        'model.test_cfg.pred=bogus'))
    _returned_line(capsys, code, tiny_boxcaseg[0], "'bogus'")


# ----------------------------------------------------------- tools/train.py
def test_train_py_box_set_without_usable_annotation(tmp_path):
    """Every box of the set is unusable (zero width): one line naming the
    json, before the first iteration."""
    import json

    from tests.test_datasets.boxcaseg_tiny_data import (tiny_cpu_options,
                                                        write_coco,
                                                        write_salient)
    box_root, ann = write_coco(tmp_path / 'coco')
    path = osp.join(box_root, ann)
    with open(path) as f:
        coco = json.load(f)
    for a in coco['annotations']:
        a['bbox'][2] = 0
    with open(path, 'w') as f:
        json.dump(coco, f)
    sal_root = write_salient(tmp_path / 'sal', ['000', '001'])
    config = osp.join(
        ROOT, 'configs/boxcaseg/'
        'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py')
    argv = [
        config, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        'model.backbone.init_cfg=None', 'train_cfg.max_iters=1'
    ] + tiny_cpu_options(box_root, ann, sal_root)
    _exit_line(load_tool('tools/train.py').main, argv, path,
               'no usable annotation')
    assert not list((tmp_path / 'work').glob('*.pth'))


# ----------------------------------------------------------------- the demo
def _demo_argv(tiny_boxcaseg, tmp_path, image, weights=None, out=None):
    cfg, ckpt = tiny_boxcaseg
    return [
        str(image), '--model', cfg, '--weights',
        str(weights or ckpt), '--boxes', '1,1,20,20', '--out-dir',
        str(out or tmp_path / 'out')
    ]


def _image(tmp_path):
    import cv2
    import numpy as np
    img = tmp_path / 'img.png'
    cv2.imwrite(str(img), np.full((30, 40, 3), 120, np.uint8))
    return img


def test_demo_empty_image(tiny_boxcaseg, tmp_path):
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    _exit_line(load_tool('demo/box_to_mask_demo.py').main,
               _demo_argv(tiny_boxcaseg, tmp_path, empty), empty)


def test_demo_empty_image_as_a_command(tiny_boxcaseg, tmp_path):
    """The same from the shell: one line on stderr, exit status 1."""
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    proc = subprocess.run(
        [sys.executable, 'demo/box_to_mask_demo.py'] +
        _demo_argv(tiny_boxcaseg, tmp_path, empty),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and str(empty) in last


def test_demo_out_dir_is_a_file(tiny_boxcaseg, tmp_path):
    afile = tmp_path / 'afile'
    afile.write_text('keep me')
    _exit_line(load_tool('demo/box_to_mask_demo.py').main,
               _demo_argv(tiny_boxcaseg, tmp_path, _image(tmp_path),
                          out=afile), '--out-dir', afile)
    assert afile.read_text() == 'keep me'


def test_demo_malicious_checkpoint(tiny_boxcaseg, tmp_path):
    bad, marker = _evil_checkpoint(tmp_path)
    msg = _exit_line(load_tool('demo/box_to_mask_demo.py').main,
                     _demo_argv(tiny_boxcaseg, tmp_path, _image(tmp_path),
                                weights=bad), bad)
    _refusal(msg, bad)
    assert not marker.exists()


def test_demo_checkpoint_of_another_model(tiny_boxcaseg, tmp_path):
    other, key = _other_model_checkpoint(tiny_boxcaseg, tmp_path)
    _exit_line(load_tool('demo/box_to_mask_demo.py').main,
               _demo_argv(tiny_boxcaseg, tmp_path, _image(tmp_path),
                          weights=other), other, f'size mismatch for {key}')


# -------------------------------------------------------- model converters
def test_publish_model_malicious_checkpoint(tmp_path):
    bad, marker = _evil_checkpoint(tmp_path)
    out = tmp_path / 'pub.pth'
    msg = _exit_line(
        load_tool('tools/model_converters/publish_model.py').main,
        [str(bad), str(out)], bad)
    _refusal(msg, bad)
    assert not marker.exists() and not out.exists()


def test_efficientnet_converter_malicious_checkpoint(tmp_path):
    bad, marker = _evil_checkpoint(tmp_path)
    out = tmp_path / 'lite0.pth'
    msg = _exit_line(
        load_tool('tools/model_converters/efficientnet_lite_to_mmboxcaseg.py')
        .main, ['--src', str(bad), '--out', str(out)], bad)
    _refusal(msg, bad)
    assert not marker.exists() and not out.exists()


# ---------------------------------------------------------- analysis tools
def test_score_generators_work_dir_is_a_file(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    afile = tmp_path / 'work'
    afile.write_text('x')
    _exit_line(
        load_tool('tools/analysis_tools/score_generators.py').main,
        ['--set', f'tiny={ann}:{imgs}', '--generators', 'boxfill',
         '--work-dir', str(afile)], '--work-dir', afile)


@pytest.mark.parametrize('tool,step_args,config,folder,name', [
    ('tools/train.py', [],
     'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py', 'coco128',
     'coco128'),
    ('tools/test.py', ['weights.pth'],
     'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py', 'coco128',
     'coco128'),
    # the folder and the downloader's name of the set differ
    ('tools/train.py', [], 'boxcaseg_hrnetv2-w48_2xb16-40e_coco-duts.py',
     'coco', 'coco2017'),
])
def test_missing_data_set_names_the_fetch_command(tool, step_args, config,
                                                  folder, name, tmp_path,
                                                  monkeypatch):
    """A config run where ``data/`` does not exist (a fresh clone): one
    line naming the missing path and the download command, before anything
    is built."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'weights.pth').write_bytes(b'')
    cfg = osp.join(ROOT, 'configs', 'boxcaseg', config)
    msg = _exit_line(load_tool(tool).main, [cfg] + step_args,
                     f'data/{folder}', f'--dataset-name {name} ')
    assert not (tmp_path / 'work_dirs').exists() or not any(
        (tmp_path / 'work_dirs').rglob('*.log')), msg


def test_missing_initial_weights_name_the_tool(tmp_path, monkeypatch):
    """The default config with its data present but no ImageNet weights:
    one line naming the converter that makes them."""
    monkeypatch.chdir(tmp_path)
    cfg = osp.join(ROOT, 'configs', 'boxcaseg',
                   'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py')
    for root in ('data/coco128', 'data/davis345', 'data/sod204'):
        (tmp_path / root).mkdir(parents=True)
    (tmp_path / 'data/coco128/annotations.json').write_text('{}')
    _exit_line(load_tool('tools/train.py').main, [cfg],
               'checkpoints/efficientnet_lite0_mmboxcaseg.pth',
               'efficientnet_lite_to_mmboxcaseg.py --out')
