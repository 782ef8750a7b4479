"""tools/analysis_tools/pennfudan_end_to_end.py on a tiny generated
PennFudan-like set (2 iterations per training, random backbones): the whole
chain runs, the table has its five rows, ``--runs`` trains a subset (and
no segmentor when no BoxCaseg run is picked), and a call skips every stage
whose output exists."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_datasets'))
from boxcaseg_tiny_data import write_salient  # noqa: E402

SEG_CONFIG = osp.join(
    ROOT, 'configs/boxcaseg/'
    'boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py')
TOOL = osp.join(ROOT, 'tools/analysis_tools/pennfudan_end_to_end.py')


def _load_tool():
    """The tool as a module (its functions, without a subprocess)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('pf_e2e', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def _write_pedestrians(root):
    """4 images of 48x64 with one or two upright ellipses each; images 0-2
    form the train split, image 3 the val split."""
    os.makedirs(osp.join(root, 'images'))
    rng = np.random.default_rng(0)
    splits = {'train': ([], []), 'val': ([], [])}
    ann_id = 0
    for i in range(4):
        img = rng.integers(0, 80, (48, 64, 3), dtype=np.uint8)
        name = f'images/{i}.png'
        split = 'train' if i < 3 else 'val'
        images, anns = splits[split]
        images.append(dict(id=i + 1, file_name=name, height=48, width=64))
        for cx in ([16, 44] if i % 2 == 0 else [30]):
            mask = np.zeros((48, 64), np.uint8)
            cv2.ellipse(mask, (cx, 24), (7, 16), 0, 0, 360, 1, -1)
            img[mask > 0] = (40, 160, 220)
            ys, xs = np.nonzero(mask)
            rle = mask_utils.encode(np.asfortranarray(mask))
            ann_id += 1
            anns.append(
                dict(
                    id=ann_id,
                    image_id=i + 1,
                    category_id=1,
                    iscrowd=0,
                    area=int(mask.sum()),
                    bbox=[
                        float(xs.min()),
                        float(ys.min()),
                        float(xs.max() - xs.min() + 1),
                        float(ys.max() - ys.min() + 1)
                    ],
                    segmentation=dict(
                        size=rle['size'], counts=rle['counts'].decode())))
        cv2.imwrite(osp.join(root, name), img)
    for split, (images, anns) in splits.items():
        with open(osp.join(root, f'annotations_{split}.json'), 'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=anns,
                    categories=[dict(id=1, name='pedestrian')]), f)
    return str(root)


def test_end_to_end_table_and_rerun_skips(tmp_path):
    data = _write_pedestrians(tmp_path / 'pennfudan')
    salient = write_salient(tmp_path / 'salient',
                            [f'{i:03d}' for i in range(4)])
    seg_cfg = tmp_path / 'seg.py'
    # the PennFudan segmentor with the tiny salient set instead of the
    # shipped ones
    seg_cfg.write_text(
        f"_base_ = ['{SEG_CONFIG}']\n"
        'salient_sets = [dict(type="SalientDataset", '
        f'data_root="{salient}/", img_dir="images", mask_dir="masks", '
        'pipeline=_base_.salient_pipeline)]\n'
        'train_dataloader = dict(dataset=dict(datasets=[_base_.box_set] + '
        'salient_sets))\n')
    few = [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'model.backbone.init_cfg=None',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False'
    ]
    work = tmp_path / 'work'
    cmd = [
        sys.executable, TOOL, '--work-dir',
        str(work), '--data-root', data, '--seg-config',
        str(seg_cfg), '--seg-options', 'train_dataloader.batch_size=4',
        'train_dataloader.batch_sampler.box_ratio=[1,1]'
    ] + few + ['--det-options'] + few + ['train_dataloader.batch_size=1']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    bad = subprocess.run(
        cmd + ['--runs', 'ax'], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300)
    assert bad.returncode == 2 and "--runs 'ax': pick from abcde" in \
        bad.stderr, bad.stderr[-2000:]
    assert not work.exists()

    # (a) and (d) alone: no segmentor, no BoxCaseg proxies
    part = subprocess.run(
        cmd + ['--runs', 'a,d'], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=900)
    assert part.returncode == 0, (part.stdout[-3000:], part.stderr[-3000:])
    started = [ln.split()[1] for ln in part.stdout.splitlines()
               if ln.startswith('[....]')]
    assert sorted(started) == ['mask_rcnn_a', 'mask_rcnn_d', 'proxy_boxfill']
    assert [r['run'] for r in json.loads(
        (work / 'results.json').read_text())['rows']] == ['a', 'd']

    first = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, (first.stdout[-3000:], first.stderr[-3000:])
    out = first.stdout
    for stage in ('segmentor', 'proxy_boxcaseg_merge_drop', 'proxy_boxcaseg',
                  'proxy_grabcut', 'mask_rcnn_b', 'mask_rcnn_e'):
        assert f'[done] {stage} (' in out, (stage, out)
    assert out.count('[skip]') == 3, out  # what the call with --runs made

    results = json.loads((work / 'results.json').read_text())
    rows = results['rows']
    assert [r['run'] for r in rows] == ['a', 'b', 'c', 'd', 'e']
    keys = {
        'masks', 'proxy_mIoU', 'proxy_IoU75', 'kept', 'coco/segm_mAP',
        'coco/segm_mAP_50', 'coco/segm_mAP_75', 'voc/segm_mAP@0.25',
        'voc/segm_mAP@0.50', 'voc/segm_mAP@0.70', 'voc/segm_mAP@0.75',
        'share_of_a', 'iterations'
    }
    for r in rows:
        assert keys <= set(r), r
        assert r['iterations'] == 2
    # (a) trains on the real masks: 100 by definition; box fill scores the
    # ellipses' box fill, below 100 and above the ellipse's area share
    assert rows[0]['proxy_mIoU'] == 100.0
    assert 60 < rows[3]['proxy_mIoU'] < 100
    assert set(results['stage_minutes']) == {
        'segmentor', 'proxy_boxcaseg_merge_drop', 'proxy_boxcaseg',
        'proxy_boxfill', 'proxy_grabcut', 'mask_rcnn_a', 'mask_rcnn_b',
        'mask_rcnn_c', 'mask_rcnn_d', 'mask_rcnn_e'
    }
    lines = [ln for ln in out.splitlines() if ln.startswith('| ')]
    assert len(lines) == 6 and lines[1].startswith('| a | real masks')

    # a second call finds every output and only prints the table
    second = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count('[skip]') == 10, second.stdout
    assert '[....]' not in second.stdout
    again = json.loads((work / 'results.json').read_text())
    assert again['rows'] == rows
    assert again['stage_minutes'] == results['stage_minutes']


def test_failed_stage_lets_running_stages_finish(tmp_path):
    tool = _load_tool()
    slow_out = tmp_path / 'slow.txt'

    def py(code):
        return lambda: [sys.executable, '-c', code]

    stages = [
        tool.Stage('slow', py(f'import time; time.sleep(3); '
                              f'open({str(slow_out)!r}, "w").write("x")'),
                   slow_out.exists),
        tool.Stage('fails', py('raise SystemExit(3)'), lambda: False),
        tool.Stage('later', py('pass'), lambda: False),  # never started
    ]
    with pytest.raises(SystemExit, match=r'fails failed \(exit 3\)'):
        tool.run_stages(stages, 2, str(tmp_path / 'logs'))
    assert slow_out.read_text() == 'x'  # the running stage was not killed
    assert stages[0].minutes is not None
    assert not (tmp_path / 'logs' / 'later.log').exists()


def test_failed_call_still_writes_results(tmp_path, monkeypatch):
    """A call whose chain fails keeps the minutes of the stages that
    finished in ``results.json`` (the next call's table reports them)."""
    tool = _load_tool()
    data = _write_pedestrians(tmp_path / 'data')

    def fake_run_stages(stages, jobs, log_dir):
        assert [st.name for st in stages] == ['proxy_boxfill', 'mask_rcnn_d']
        stages[0].minutes = 0.5  # finished; the training then fails
        raise SystemExit('error: mask_rcnn_d failed (exit 1)')

    monkeypatch.setattr(tool, 'run_stages', fake_run_stages)
    work = tmp_path / 'work'
    with pytest.raises(SystemExit, match='mask_rcnn_d failed'):
        tool.main(['--work-dir', str(work), '--data-root', data,
                   '--runs', 'd'])
    results = json.loads((work / 'results.json').read_text())
    assert results['stage_minutes'] == {'proxy_boxfill': 0.5}
    assert results['rows'] == []  # no run finished


def test_proxy_options_reach_the_proxy_generation(tmp_path, monkeypatch):
    """``--proxy-options`` become ``--cfg-options`` of the BoxCaseg proxy
    command only; ``--no-refine`` drops ``--refine``; a given segmentor
    checkpoint means no segmentor stage."""
    tool = _load_tool()
    data = _write_pedestrians(tmp_path / 'data')
    ckpt = tmp_path / 'seg.pth'
    ckpt.write_bytes(b'not read: the stages are not run')
    seen = {}

    def fake_run_stages(stages, jobs, log_dir):
        seen.update({st.name: st.cmd() for st in stages})

    monkeypatch.setattr(tool, 'run_stages', fake_run_stages)
    tool.main([
        '--work-dir', str(tmp_path / 'work'), '--data-root', data, '--runs',
        'cd', '--seg-checkpoint', str(ckpt), '--no-refine',
        '--proxy-options', 'model.test_cfg.pred=mixed'
    ])
    assert sorted(seen) == [
        'mask_rcnn_c', 'mask_rcnn_d', 'proxy_boxcaseg', 'proxy_boxfill'
    ]
    boxcaseg = seen['proxy_boxcaseg']
    assert boxcaseg[-2:] == ['--cfg-options', 'model.test_cfg.pred=mixed']
    assert boxcaseg[boxcaseg.index('--checkpoint') + 1] == str(ckpt)
    assert '--refine' not in boxcaseg
    assert '--cfg-options' not in seen['proxy_boxfill']


def test_paper_drop_run_asks_for_the_drop():
    """Run (b) is the paper's recipe: it names the drop, whatever the
    converter's default."""
    tool = _load_tool()
    generator, flags = tool.PROXIES['boxcaseg_merge_drop']
    assert generator == 'boxcaseg' and flags == ['--drop-thr', '0.95']
    assert '--no-merge' not in flags
