"""tools/pipelines.mk (``make e2e e2e-table demo``) and its collector
tools/analysis_tools/collect_e2e.py, on a tiny generated PennFudan-like set
(2 iterations per training, random backbones): ``make -n`` lists each step's
tool call, a real ``make -j2`` builds every run, a second call runs nothing,
a deleted output is rebuilt alone; the collector's table on hand-made
scalars."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.tool_loader import load_tool

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COLLECT = osp.join(ROOT, 'tools/analysis_tools/collect_e2e.py')
FEW = ('train_cfg.max_iters=2 train_cfg.val_interval=2 '
       'default_hooks.checkpoint.interval=2 default_hooks.logger.interval=1 '
       'model.backbone.init_cfg=None train_dataloader.num_workers=0 '
       'train_dataloader.persistent_workers=False '
       'val_dataloader.num_workers=0 val_dataloader.persistent_workers=False')


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
        images, anns = splits['train' if i < 3 else 'val']
        images.append(dict(id=i + 1, file_name=name, height=48, width=64))
        for cx in ([16, 44] if i % 2 == 0 else [30]):
            mask = np.zeros((48, 64), np.uint8)
            cv2.ellipse(mask, (cx, 24), (7, 16), 0, 0, 360, 1, -1)
            img[mask > 0] = (40, 160, 220)
            ys, xs = np.nonzero(mask)
            rle = mask_utils.encode(np.asfortranarray(mask))
            ann_id += 1
            anns.append(
                dict(id=ann_id, image_id=i + 1, category_id=1, iscrowd=0,
                     area=int(mask.sum()),
                     bbox=[float(xs.min()), float(ys.min()),
                           float(xs.max() - xs.min() + 1),
                           float(ys.max() - ys.min() + 1)],
                     segmentation=dict(size=rle['size'],
                                       counts=rle['counts'].decode())))
        cv2.imwrite(osp.join(root, name), img)
    for split, (images, anns) in splits.items():
        with open(osp.join(root, f'annotations_{split}.json'), 'w') as f:
            json.dump(dict(images=images, annotations=anns,
                           categories=[dict(id=1, name='pedestrian')]), f)
    return str(root)


def _make(*args, timeout=300):
    """``make`` in the repository with the test's interpreter (no setup,
    no ImageNet weights)."""
    cmd = ['make', '--no-print-directory', '-C', ROOT,
           f'PY={sys.executable}', 'PRETRAINED='] + list(args)
    env = dict(os.environ, MAKEFLAGS='')
    return subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _tiny_vars(tmp_path, data):
    return [f'E2E={tmp_path / "e2e"}', f'DATA={data}', 'SALIENT_DATA=',
            f'DET_OPTIONS={FEW} train_dataloader.batch_size=1']


def _calls(out, tool):
    """The commands of ``out`` that name ``tool``, each on one line."""
    lines = out.replace('\\\n', ' ').splitlines()
    return [' '.join(ln.split()) for ln in lines if tool in ln]


def test_dry_run_lists_every_step(tmp_path):
    data = _write_pedestrians(tmp_path / 'pf')
    res = _make('-n', 'e2e', 'e2e-table', 'SEEDS=0 1',
                *_tiny_vars(tmp_path, data))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    e2e = tmp_path / 'e2e'
    seg = _calls(out, 'tools/train.py configs/boxcaseg/')
    assert len(seg) == 1 and f'--work-dir {e2e}/segmentor' in seg[0]
    proxies = _calls(out, 'tools/generate_proxy_masks.py')
    by_set = {osp.basename(ln.split('--out ')[1].split()[0]): ln
              for ln in proxies}
    assert sorted(by_set) == ['boxcaseg.json', 'boxcaseg_drop_score.json',
                              'boxcaseg_merge_drop.json', 'boxfill.json',
                              'grabcut.json']
    assert '--drop-thr 0.95' in by_set['boxcaseg_merge_drop.json']
    assert '--no-merge' not in by_set['boxcaseg_merge_drop.json']
    for name in ('boxcaseg.json', 'boxfill.json', 'grabcut.json',
                 'boxcaseg_drop_score.json'):
        assert '--no-merge --drop-thr 0 ' in by_set[name] + ' '
    assert '--drop-score-thr 0.48 ' in by_set['boxcaseg_drop_score.json']
    for line in proxies:  # the rows train their own detector configs
        assert '--no-mask-rcnn-config' in line
    assert 'drop-score' not in by_set['boxcaseg.json']
    for name in ('boxcaseg.json', 'boxcaseg_merge_drop.json',
                 'boxcaseg_drop_score.json'):
        # the config's refinement (per box), no flag
        assert '--refine' not in by_set[name]
        assert f'--checkpoint {e2e}/segmentor/segmentor.pth' in by_set[name]
    det = _calls(out, 'tools/train.py configs/proxy_mask_rcnn/'
                 'proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py')
    assert len(det) == 12  # rows a-e and g, 2 seeds
    for row, ann in [('a', f'{data}/annotations_train.json'),
                     ('b', f'{e2e}/proxies/boxcaseg_merge_drop.json'),
                     ('e', f'{e2e}/proxies/grabcut.json'),
                     ('g', f'{e2e}/proxies/boxcaseg_drop_score.json')]:
        for seed in (0, 1):
            line, = [ln for ln in det
                     if f'mask_rcnn_{row}_seed{seed} ' in ln]
            assert f'train_dataloader.dataset.ann_file={ann} ' in line
            assert f'randomness.seed={seed} ' in line
            assert line.startswith('OMP_NUM_THREADS=1 ')
    # row f: mmdet's BoxInst on the train split's boxes, same data options
    boxinst = _calls(out, 'tools/train.py configs/boxinst/')
    assert len(boxinst) == 2
    for seed in (0, 1):
        line, = [ln for ln in boxinst if f'boxinst_f_seed{seed} ' in ln]
        assert (f'train_dataloader.dataset.ann_file={data}/'
                'annotations_train.json ') in line
        assert f'randomness.seed={seed} ' in line
        assert f'val_evaluator.1.ann_file={data}/annotations_val.json' \
            in line
        assert line.startswith('OMP_NUM_THREADS=1 ')
    # row h: row c's detector of each seed writes its val detections, the
    # segmentor their masks and metrics
    for seed in (0, 1):
        h = e2e / f'boxcaseg_h_seed{seed}'
        test, = [ln for ln in _calls(out, 'tools/test.py')
                 if f'--work-dir {h} ' in ln]
        assert (f'"$(cat {e2e}/mask_rcnn_c_seed{seed}/last_checkpoint)"'
                in test)
        assert f'test_evaluator.0.outfile_prefix={h}/dets' in test
        assert (f'test_dataloader.dataset.ann_file={data}/'
                'annotations_val.json ') in test
        assert (f'test_evaluator.1.ann_file={data}/annotations_val.json '
                in test)
        masks, = [ln for ln in _calls(out, 'tools/detections_to_masks.py')
                  if f'--dets {h}/dets.bbox.json ' in ln]
        assert f'{e2e}/segmentor/segmentor.pth --ann-file {data}/' \
            'annotations_val.json' in masks
        assert f'--eval {h}/metrics.json' in masks
    assert len(_calls(out, 'collect_e2e.py')) == 1

    # row h alone still has row c's detectors to build
    res = _make('-n', 'e2e', 'ROWS=h', 'SEEDS=0',
                *_tiny_vars(tmp_path, data))
    assert res.returncode == 0, res.stderr
    assert len(_calls(res.stdout, f'--work-dir {e2e}/mask_rcnn_c_seed0')) \
        == 1
    assert len(_calls(res.stdout, 'tools/detections_to_masks.py')) == 1

    # a given segmentor: no training; the network's masks by PROXY_OPTIONS
    ckpt = tmp_path / 'seg.pth'
    ckpt.write_bytes(b'')
    res = _make('-n', 'e2e', 'ROWS=c', 'SEEDS=0', f'SEG_CKPT={ckpt}',
                'PROXY_OPTIONS=model.test_cfg.refine=None',
                *_tiny_vars(tmp_path, data))
    assert res.returncode == 0, res.stderr
    assert not _calls(res.stdout, 'tools/train.py configs/boxcaseg/')
    proxy, = _calls(res.stdout, 'tools/generate_proxy_masks.py')
    assert f'--checkpoint {ckpt}' in proxy
    assert '--cfg-options model.test_cfg.refine=None' in proxy


def test_dry_run_of_the_demo(tmp_path):
    """The demo: short schedules, three rows of one seed, overlays, the
    table and mmdet's loss curves."""
    demo = tmp_path / 'demo'  # not the repository's work_dirs/demo: a
    # finished demo there would leave nothing to list
    res = _make('-n', 'demo-run', f'E2E={demo}', 'ROWS=a c e', 'SEEDS=0',
                'SHOW=1')
    assert res.returncode == 0, res.stderr
    assert len(_calls(res.stdout, f'--show-dir {demo}/overlays/')) \
        == 2  # boxcaseg, grabcut
    assert _calls(res.stdout, 'analyze_logs plot_curve')
    assert _calls(res.stdout, f'collect_e2e.py {demo}')
    res = _make('-n', 'demo', f'DEMO_DIR={demo}',
                f'SYNTHETIC={tmp_path}/synthetic')
    assert res.returncode == 0, res.stderr
    det = _calls(res.stdout,
                 'tools/train.py configs/proxy_mask_rcnn/proxy-mask-rcnn')
    assert len(det) == 3 and all('train_cfg.max_iters=150' in ln
                                 for ln in det)


def test_e2e_builds_skips_and_rebuilds(tmp_path):
    data = _write_pedestrians(tmp_path / 'pf')
    tiny = ['ROWS=a d', 'SEEDS=0'] + _tiny_vars(tmp_path, data)
    first = _make('-j2', 'e2e', 'e2e-table', *tiny, timeout=600)
    assert first.returncode == 0, (first.stdout[-3000:],
                                   first.stderr[-3000:])
    e2e = tmp_path / 'e2e'
    for run in ('a_seed0', 'd_seed0'):
        assert (e2e / f'mask_rcnn_{run}' / '.done').is_file()
    assert (e2e / 'proxies' / 'boxfill.report.json').is_file()
    assert not (e2e / 'segmentor').exists()
    assert not list((e2e / 'proxies').glob('*.tmp'))
    assert not list((e2e / 'proxies').glob('*mask-rcnn.py'))
    assert 'Mask R-CNN config' not in first.stdout  # was a deleted path
    results = json.loads((e2e / 'results.json').read_text())
    assert [(r['row'], r['seeds']) for r in results['rows']] == [
        ('a', [0]), ('d', [0])]
    assert [p['set'] for p in results['proxies']] == ['boxfill']
    assert '| a | real masks (fully supervised) | 1 |' in first.stdout

    # everything is up to date: nothing runs, the table prints again; a
    # data tree copied again (newer times, same files) changes nothing
    later = os.stat(e2e / 'results.json').st_mtime + 100
    for split in ('train', 'val'):
        os.utime(osp.join(data, f'annotations_{split}.json'), (later, later))
    assert _make('-q', 'e2e', *tiny).returncode == 0
    second = _make('-j2', 'e2e', 'e2e-table', *tiny)
    assert second.returncode == 0, second.stderr[-3000:]
    assert not _calls(second.stdout, 'tools/train.py')
    assert not _calls(second.stdout, 'tools/generate_proxy_masks.py')
    assert len(_calls(second.stdout, 'collect_e2e.py')) == 1

    # a lost output: only its step runs again
    os.remove(e2e / 'mask_rcnn_d_seed0' / '.done')
    third = _make('-j2', 'e2e', *tiny)
    assert third.returncode == 0, third.stderr[-3000:]
    train, = _calls(third.stdout, 'tools/train.py')
    assert 'mask_rcnn_d_seed0 ' in train
    assert not _calls(third.stdout, 'tools/generate_proxy_masks.py')


def test_e2e_trains_the_segmentor_for_boxcaseg_rows(tmp_path):
    """Row (c): the segmentor trains (its last checkpoint copied to
    segmentor/segmentor.pth), the BoxCaseg proxies come from it."""
    sys.path.insert(0, osp.join(ROOT, 'tests', 'test_datasets'))
    from boxcaseg_tiny_data import write_salient
    data = _write_pedestrians(tmp_path / 'pf')
    salient = write_salient(tmp_path / 'salient',
                            [f'{i:03d}' for i in range(4)])
    seg_cfg = tmp_path / 'seg.py'
    # the PennFudan segmentor with the tiny salient set instead of the
    # shipped ones
    seg_cfg.write_text(
        "_base_ = ['" + osp.join(
            ROOT, 'configs/boxcaseg/'
            'boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient.py') + "']\n"
        'salient_sets = [dict(type="SalientDataset", '
        f'data_root="{salient}/", img_dir="images", mask_dir="masks", '
        'pipeline=_base_.salient_pipeline)]\n'
        'train_dataloader = dict(dataset=dict(datasets=[_base_.box_set] + '
        'salient_sets))\n')
    # row h too: a barely trained detector scores below mmdet's 0.05, so
    # every detection is kept for the segmentor to draw
    tiny = _tiny_vars(tmp_path, data)
    tiny[-1] += ' model.test_cfg.rcnn.score_thr=0'
    res = _make('-j2', 'e2e', 'e2e-table', 'ROWS=c h', 'SEEDS=0',
                f'SEG_CONFIG={seg_cfg}',
                f'SEG_OPTIONS={FEW} train_dataloader.batch_size=4 '
                'train_dataloader.batch_sampler.box_ratio=[1,1]',
                *tiny, timeout=600)
    assert res.returncode == 0, (res.stdout[-3000:], res.stderr[-3000:])
    e2e = tmp_path / 'e2e'
    assert (e2e / 'segmentor' / 'segmentor.pth').is_file()
    assert (e2e / 'segmentor' / 'iter_2.pth').is_file()
    proxy, = _calls(res.stdout, 'tools/generate_proxy_masks.py')
    assert f'--checkpoint {e2e}/segmentor/segmentor.pth' in proxy
    assert (e2e / 'proxies' / 'boxcaseg.report.json').is_file()
    assert (e2e / 'mask_rcnn_c_seed0' / '.done').is_file()
    h = e2e / 'boxcaseg_h_seed0'
    assert (h / '.done').is_file()
    dets = json.loads((h / 'dets.bbox.json').read_text())
    masks = json.loads((h / 'boxcaseg.segm.json').read_text())
    assert len(dets) > 0 and len(masks) == len(dets)
    assert [m['bbox'] for m in masks] == [d['bbox'] for d in dets]
    metrics = json.loads((h / 'metrics.json').read_text())
    results = json.loads((e2e / 'results.json').read_text())
    c, row_h = results['rows']
    assert (row_h['row'], row_h['seeds']) == ('h', [0])
    assert row_h['metrics']['segm AP']['mean'] == pytest.approx(
        100 * metrics['coco/segm_mAP'])
    # a second call finds everything done
    again = _make('-q', 'e2e', 'ROWS=c h', 'SEEDS=0',
                  f'SEG_CONFIG={seg_cfg}', *tiny)
    assert again.returncode == 0


def test_e2e_trains_boxinst_row(tmp_path):
    """Row (f): mmdet's BoxInst config trains on the boxes (2 iterations),
    validates, and its boxinst_f_seed0 folder makes the table's row f."""
    data = _write_pedestrians(tmp_path / 'pf')
    # a barely trained BoxInst scores below mmdet's threshold (0.05): keep
    # every detection so that the validation has results to score
    res = _make('-j2', 'e2e', 'e2e-table', 'ROWS=f', 'SEEDS=0',
                *_tiny_vars(tmp_path, data),
                f'BOXINST_OPTIONS={FEW} train_dataloader.batch_size=1 '
                'model.test_cfg.score_thr=0', timeout=300)
    assert res.returncode == 0, (res.stdout[-3000:], res.stderr[-3000:])
    e2e = tmp_path / 'e2e'
    train, = _calls(res.stdout, 'tools/train.py')
    assert 'configs/boxinst/boxinst_effnet-lite0_fpn_cpu_pennfudan.py' \
        in train
    assert (e2e / 'boxinst_f_seed0' / '.done').is_file()
    assert not (e2e / 'proxies').exists()
    results = json.loads((e2e / 'results.json').read_text())
    f, = results['rows']
    assert (f['row'], f['seeds']) == ('f', [0])
    assert f['metrics']['segm AP']['mean'] is not None
    assert '| f | BoxInst (mmdet, boxes only) | 1 |' in res.stdout


def test_boxinst_config_trains_boxes_only():
    """The BoxInst config loads no masks for training and shares the
    PennFudan Mask R-CNN's backbone, input, evaluators and schedule."""
    from mmengine.config import Config
    cfgs = [Config.fromfile(osp.join(ROOT, p)) for p in (
        'configs/boxinst/boxinst_effnet-lite0_fpn_cpu_pennfudan.py',
        'configs/proxy_mask_rcnn/'
        'proxy-mask-rcnn_effnet-lite0_fpn_cpu_pennfudan.py')]
    boxinst, mask_rcnn = cfgs
    assert boxinst.model.type == 'BoxInst'
    assert boxinst.model.backbone == mask_rcnn.model.backbone
    assert boxinst.model.neck.out_channels == 64
    assert boxinst.model.neck.start_level == 1
    assert boxinst.model.bbox_head.num_classes == 1
    steps = boxinst.train_dataloader.dataset.pipeline
    mask_rcnn_steps = mask_rcnn.train_dataloader.dataset.pipeline
    assert [t.type for t in steps] == [t.type for t in mask_rcnn_steps]
    load, = [t for t in steps if t.type == 'LoadProxyAnnotations']
    assert load.with_bbox and not load.with_mask
    assert steps[2] == mask_rcnn_steps[2]  # RandomResize
    assert boxinst.train_dataloader.batch_size == 2
    assert boxinst.val_evaluator == mask_rcnn.val_evaluator
    assert boxinst.val_dataloader == mask_rcnn.val_dataloader
    # the schedule measured for row f: twice the iterations, the same
    # warm-up and steps at the same fractions, lr 0.005
    n = boxinst.train_cfg.max_iters
    assert n == 2 * mask_rcnn.train_cfg.max_iters
    assert boxinst.train_cfg.val_interval == n
    assert boxinst.default_hooks.checkpoint.interval == n
    assert boxinst.model.mask_head.warmup_iters == n // 9
    assert boxinst.optim_wrapper.optimizer.lr == 0.005
    warmup, steps = boxinst.param_scheduler
    assert warmup == mask_rcnn.param_scheduler[0]
    assert steps.end == n
    assert steps.milestones == [
        2 * k for k in mask_rcnn.param_scheduler[1].milestones]
    assert steps.milestones == [int(0.75 * n), int(0.9 * n)]


def _run(work, name, vals, done=True):
    """A training folder with one MMEngine run whose scalars end with the
    validation ``vals`` (fractions, as CocoMetric logs them)."""
    vis = work / name / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(loss=1.0, step=1)]
    if vals is not None:
        lines.append({'coco/segm_mAP': 0.0, 'step': 1})  # an earlier val
        lines.append(dict(vals, step=2))
    (vis / 'scalars.json').write_text(
        ''.join(json.dumps(ln) + '\n' for ln in lines))
    if done:
        (work / name / '.done').write_text('')


def _vals(segm, ap75, box):
    return {'coco/segm_mAP': segm, 'coco/segm_mAP_50': 0.5,
            'coco/segm_mAP_75': ap75, 'coco/bbox_mAP': box}


def test_collector_table(tmp_path, capsys):
    tool = load_tool('tools/analysis_tools/collect_e2e.py')
    work = tmp_path / 'e2e'
    _run(work, 'mask_rcnn_a_seed0', _vals(0.30, 0.20, 0.40))
    _run(work, 'mask_rcnn_a_seed1', _vals(0.34, 0.24, 0.40))
    _run(work, 'mask_rcnn_c_seed0', _vals(0.16, 0.10, 0.30))
    _run(work, 'mask_rcnn_c_seed1', _vals(0.16, 0.14, 0.30))
    _run(work, 'mask_rcnn_c_seed2', _vals(0.9, 0.9, 0.9), done=False)
    (work / 'proxies').mkdir()
    (work / 'proxies' / 'boxfill.report.json').write_text(json.dumps(dict(
        drop_rate=0.0, quality=dict(all={'mIoU*': 50.9, 'IoU@75': 0.6}))))
    (work / 'proxies' / 'boxcaseg_merge_drop.report.json').write_text(
        json.dumps(dict(drop_rate=0.75, quality=dict(
            all={'mIoU*': 70.0, 'IoU@75': 40.0},
            kept={'mIoU*': 81.8, 'IoU@75': 81.5}))))
    out = tmp_path / 'results.json'
    assert tool.main([str(work), '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads(out.read_text())
    a, c = results['rows']
    assert (a['row'], a['seeds'], c['seeds']) == ('a', [0, 1], [0, 1])
    assert a['metrics']['segm AP']['mean'] == pytest.approx(32.0)
    assert a['metrics']['segm AP']['std'] == pytest.approx(2 * 2**0.5)
    assert c['metrics']['segm AP']['std'] == pytest.approx(0.0)
    assert a['metrics']['box AP']['mean'] == pytest.approx(40.0)
    assert c['share_of_a']['segm AP']['share'] == pytest.approx(50.0)
    # relative spreads in quadrature: 0 for (c), 2.83 / 32 for (a)
    assert c['share_of_a']['segm AP']['spread'] == pytest.approx(
        50.0 * 2 * 2**0.5 / 32)
    assert c['share_of_a']['AP75']['share'] == pytest.approx(100 * 12 / 22)
    assert results['missing'] == ['mask_rcnn_c_seed2']
    assert results['proxies'][0]['set'] == 'boxcaseg_merge_drop'
    assert results['proxies'][0]['miou'] == 81.8  # of the kept masks
    assert results['proxies'][0]['kept'] == pytest.approx(25.0)
    lines = printed.splitlines()
    assert lines[0] == ('| row | masks | seeds | segm AP | AP50 | AP75 | '
                        'box AP | segm AP, % of (a) | AP75, % of (a) |')
    assert lines[2] == ('| a | real masks (fully supervised) | 2 | '
                        '32.0 +- 2.8 | 50.0 +- 0.0 | 22.0 +- 2.8 | '
                        '40.0 +- 0.0 | 100.0 +- 12.5 | 100.0 +- 18.2 |')
    assert lines[3].startswith('| c | BoxCaseg | 2 | 16.0 +- 0.0 |')
    assert '| boxfill | 50.9 | 0.6 | all | 100 |' in lines
    assert lines[-1] == 'missing (unfinished): mask_rcnn_c_seed2'


def test_collector_reads_boxinst_runs(tmp_path):
    """A boxinst_<row>_seed<seed> folder is a run like mask_rcnn_<row>_..."""
    tool = load_tool('tools/analysis_tools/collect_e2e.py')
    work = tmp_path / 'e2e'
    _run(work, 'mask_rcnn_a_seed0', _vals(0.30, 0.20, 0.40))
    _run(work, 'boxinst_f_seed0', _vals(0.15, 0.10, 0.40))
    _run(work, 'boxinst_f_seed1', _vals(0.9, 0.9, 0.9), done=False)
    results = tool.collect(str(work))
    a, f = results['rows']
    assert (f['row'], f['masks'], f['seeds']) == (
        'f', 'BoxInst (mmdet, boxes only)', [0])
    assert f['share_of_a']['segm AP']['share'] == pytest.approx(50.0)
    assert results['missing'] == ['boxinst_f_seed1']


def test_collector_one_line_errors(tmp_path):
    work = tmp_path / 'e2e'
    _run(work, 'mask_rcnn_a_seed0', None)
    bad = work / 'mask_rcnn_a_seed0' / '20260101_000000' / 'vis_data'
    (bad / 'scalars.json').write_text('{"loss": 1}\n{oops\n')
    for args, msg in [([str(tmp_path / 'none')], 'is not a folder'),
                      ([str(work)], 'scalars.json: line 2 is not json')]:
        res = subprocess.run([sys.executable, COLLECT] + args, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 1 and msg in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


def test_collector_reads_row_h_metrics(tmp_path):
    """A boxcaseg_h_seed<seed> folder is read from its metrics.json (what
    tools/detections_to_masks.py --eval writes), not from a log."""
    tool = load_tool('tools/analysis_tools/collect_e2e.py')
    work = tmp_path / 'e2e'
    _run(work, 'mask_rcnn_a_seed0', _vals(0.30, 0.20, 0.40))
    for seed, segm in ((0, 0.33), (1, 0.27)):
        h = work / f'boxcaseg_h_seed{seed}'
        # tools/test.py's log of the detector's own masks is there too
        _run(work, h.name, _vals(0.9, 0.9, 0.9), done=False)
        (h / 'metrics.json').write_text(json.dumps(_vals(segm, 0.2, 0.4)))
        (h / '.done').write_text('')
    (work / 'boxcaseg_h_seed2').mkdir()  # not finished
    results = tool.collect(str(work))
    a, h = results['rows']
    assert (h['row'], h['seeds']) == ('h', [0, 1])
    assert h['masks'] == "BoxCaseg's masks on row c's detections"
    assert h['metrics']['segm AP']['mean'] == pytest.approx(30.0)
    assert h['share_of_a']['segm AP']['share'] == pytest.approx(100.0)
    assert results['missing'] == ['boxcaseg_h_seed2']
    (work / 'boxcaseg_h_seed0' / 'metrics.json').write_text('{oops')
    with pytest.raises(SystemExit, match='metrics.json: not json'):
        tool.main([str(work)])
