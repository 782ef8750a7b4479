"""GPU timings of the paper's model: training steps and proxy throughput.

1. one training step of BoxCaseg with HRNetV2-W48 (the paper's model, three
   heads, random weights) on 288 x 288 crops, batch 16, through MMEngine's
   ``OptimWrapper`` (fp32) and ``AmpOptimWrapper`` (bf16 autocast);
2. proxy masks end to end (``generate_proxy_masks``: data set, 320 x 320
   crops, the model, post-processing, writing) on generated images, in fp32
   and with bf16 autocast (``model.test_cfg.autocast``), and the network
   alone on the same crops; printed with the projected time for COCO's
   860k boxes.

``--dry-run`` runs every step at toy sizes on the CPU (the test suite does).
``tools/analysis_tools/device_benchmark.sh`` installs the carried wheels and
runs this on a lent GPU machine.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import time

COCO_BOXES = 860_000
CONFIG = 'configs/boxcaseg/boxcaseg_hrnetv2-w48_2xb16-40e_coco-duts.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dry-run', action='store_true',
                   help='toy sizes on the CPU, to check that it all runs')
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--images', type=int, default=300,
                   help='generated images of the proxy run')
    p.add_argument('--work-dir', default=None)
    p.add_argument('--out-json', default=None)
    return p.parse_args(argv)


def _sync(device):
    import torch
    if device.type == 'cuda':
        torch.cuda.synchronize()


def train_steps(args, device, dtype):
    """Seconds per training step (median of ``--steps`` after warm-up)."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.structures import BaseDataElement

    from mmboxcaseg.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmboxcaseg')
    if args.dry_run:
        cfg.model.backbone.arch = 'w18'
        cfg.model.neck.in_channels = [18, 36, 72, 144]
        for head in ('weak_head', 'salient_head', 'transferred_head'):
            cfg.model[head].in_channels = 270
    for key in ('backbone', 'weak_head', 'salient_head', 'transferred_head'):
        cfg.model[key].norm_cfg = dict(type='BN', requires_grad=True)
    model = MODELS.build(cfg.model).to(device).train()
    size, batch = (64, 2) if args.dry_run else (288, 16)
    inputs = [
        torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
        for _ in range(batch)
    ]
    samples = []
    for i in range(batch):  # 11 : 5 box : salient, as the COCO schedule
        s = BaseDataElement(
            metainfo=dict(source='box' if i < batch * 11 // 16 else
                          'salient'))
        label = torch.zeros(1, size, size, dtype=torch.uint8)
        label[:, size // 4:3 * size // 4, size // 3:size - 4] = 1
        s.gt_label = label
        samples.append(s)
    wrapper = dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=1e-3, momentum=0.9))
    # MMEngine's AmpOptimWrapper (the config switch) needs an accelerator;
    # a CPU dry run autocasts around the step instead
    cpu_autocast = dtype is not None and device.type == 'cpu'
    if dtype is not None and not cpu_autocast:
        wrapper.update(type='AmpOptimWrapper', dtype=dtype)
    optim = build_optim_wrapper(model, wrapper)
    times = []
    steps = 2 if args.dry_run else args.steps
    for k in range(steps + 2):
        _sync(device)
        t0 = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16,
                            enabled=cpu_autocast):
            model.train_step(dict(inputs=inputs, data_samples=samples),
                             optim)
        _sync(device)
        if k >= 2:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], batch, size


def proxy_run(args, work, autocast):
    """Instances/s of generate_proxy_masks (and of the network alone)."""
    from mmboxcaseg.datasets import generate_synthetic_dataset
    from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
    data = osp.join(work, 'data')
    n_img = 8 if args.dry_run else args.images
    if not osp.isdir(osp.join(data, 'scenes')):
        generate_synthetic_dataset(
            data, seed=0, num_salient=2, num_scenes=n_img, num_val_scenes=2,
            size=96 if args.dry_run else 320)
    ann = osp.join(data, 'scenes', 'annotations.json')
    opts = dict(
        ann_file=ann,
        img_root=osp.join(data, 'scenes', 'images'),
        out=osp.join(work, f'proxy_{autocast}.json'),
        generator='boxcaseg',
        config=CONFIG,
        random_weights=True,
        batch_size=2 if args.dry_run else 16,
        num_workers=0 if args.dry_run else 8,
        post_threads=1 if args.dry_run else 4,
        progress=False)
    cfg_options = {
        'model.backbone.norm_cfg.type': 'BN',
        'model.weak_head.norm_cfg.type': 'BN',
        'model.salient_head.norm_cfg.type': 'BN',
        'model.transferred_head.norm_cfg.type': 'BN',
        'test_dataloader.dataset.pipeline.1.scale': 32 if args.dry_run
        else 320,
    }
    if args.dry_run:
        cfg_options.update({
            'model.backbone.arch': 'w18',
            'model.neck.in_channels': [18, 36, 72, 144],
            'model.weak_head.in_channels': 270,
            'model.salient_head.in_channels': 270,
            'model.transferred_head.in_channels': 270,
        })
    if autocast != 'fp32':
        cfg_options['model.test_cfg.autocast'] = autocast
    start = time.perf_counter()
    report = generate_proxy_masks(ProxyOptions(cfg_options=cfg_options,
                                               **opts))
    wall = time.perf_counter() - start
    t = report['timing']
    return dict(
        instances=report['processed'],
        wall_s=wall,
        steady_per_s=t['processing_instances_per_s'],
        inference_ms=1e3 * t['inference'] / max(report['processed'], 1))


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    device = torch.device('cuda' if torch.cuda.is_available()
                          and not args.dry_run else 'cpu')
    work = args.work_dir or tempfile.mkdtemp(prefix='device_benchmark_')
    os.makedirs(work, exist_ok=True)
    name = torch.cuda.get_device_name(0) if device.type == 'cuda' else 'CPU'
    print(f'device: {name}, torch {torch.__version__}'
          f'{" (dry run)" if args.dry_run else ""}', flush=True)
    rows = {}
    bf16 = 'bfloat16'
    for label, dtype in (('fp32', None), ('bf16 autocast', bf16)):
        sec, batch, size = train_steps(args, device, dtype)
        rows[f'train {label}'] = dict(s_per_step=sec,
                                      images_per_s=batch / sec)
        print(f'train step, HRNetV2-W48 3 heads, {batch} x {size}^2, '
              f'{label}: {sec:.3f} s ({batch / sec:.1f} images/s)',
              flush=True)
    for autocast in ('fp32', 'bf16'):
        r = proxy_run(args, work, autocast)
        rows[f'proxy {autocast}'] = r
        hours = COCO_BOXES / max(r['steady_per_s'], 1e-9) / 3600
        print(f'proxy masks, 320^2 crops, {autocast}: {r["instances"]} '
              f'boxes, {r["steady_per_s"]:.1f} boxes/s steady '
              f'({r["inference_ms"]:.2f} ms/box in the network), '
              f'{r["wall_s"]:.1f} s wall -> COCO 860k boxes: '
              f'{hours:.2f} h on 1 device, {60 * hours / 8:.1f} min on 8',
              flush=True)
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(dict(device=name, rows=rows), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
