"""OpenMMLab's ``mim`` with the README's set-up (tools/setup_env.sh installs
openmim and mmboxcaseg editable): ``mim search`` lists our models, and
``mim train`` / ``mim test`` run our tools on a tiny data set."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_datasets'))
from boxcaseg_tiny_data import (tiny_cpu_options, write_coco,  # noqa: E402
                               write_salient)

MIM = osp.join(osp.dirname(sys.executable), 'mim')
CONFIG = 'configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'


def _mim(args, cwd, **kw):
    assert osp.isfile(MIM), f'{MIM} is missing: run bash tools/setup_env.sh'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([MIM] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, **kw)


def test_mim_search_lists_models(tmp_path):
    proc = _mim(['search', 'mmboxcaseg'], cwd=tmp_path)  # not the repo
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ('boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient',
                 'boxcaseg_hrnetv2-w48_2xb16-40e_voc-duts',
                 'proxy-mask-rcnn_r50_fpn_voc'):
        assert f'config id: {name}' in proc.stdout, proc.stdout[-3000:]


def test_mim_train_then_test(tmp_path):
    box_root, ann = write_coco(tmp_path / 'coco')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(8)])
    work = tmp_path / 'work'
    data = tiny_cpu_options(box_root, ann, sal_root,
                            ('train', 'val', 'test')) + [
        'model.backbone.init_cfg=None',
    ]
    cfg = osp.join(ROOT, CONFIG)
    train = _mim([
        'train', 'mmboxcaseg', cfg, '--work-dir',
        str(work), '--cfg-options', 'train_dataloader.batch_size=4',
        'train_dataloader.batch_sampler.box_ratio=[1,1]',
        'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ] + data, cwd=tmp_path)
    assert train.returncode == 0, train.stderr[-3000:]
    assert (work / 'iter_1.pth').is_file()
    test = _mim([
        'test', 'mmboxcaseg', cfg, '--checkpoint',
        str(work / 'iter_1.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options'
    ] + data, cwd=tmp_path)
    assert test.returncode == 0, test.stderr[-3000:]
    assert 'boxmask/mIoU*' in test.stdout + test.stderr
