"""Where does proxy-mask time go? The model alone vs the whole converter.

On the first ``--max-images`` images of a COCO json, in one run:

1. **model only**: the crops of every box are made first (not timed), then
   the segmentor predicts them image by image exactly as the converter does
   (``BoxCaseg.predict_probs``): instances/s of the network alone;
2. **converter**: ``generate_proxy_masks`` on the same images (reading,
   cropping, the same forward passes, resize / merge / drop / RLE, writing
   and assembly) with 1 and with 2 processes; *steady* instances/s exclude
   starting the processes and loading the model (the slowest rank's time
   after its set-up), *wall* include everything;
3. the same converter runs with the ``boxfill`` generator (no network);
4. **the machine's ceiling**: the model-only measure of 1. in 1 and in 2
   processes at once (started together, after their set-up), so the
   converter's 2-process ratio can be read against what the network itself
   reaches when two copies share the machine's cores, caches and memory.

Every converter row also gives its CPU time (user + system, every thread
and process of the run) per instance and the cores it kept busy (CPU time
over wall time): one rank is not one core, since its ``--post-threads``
(GrabCut, paste, RLE) run beside its network. ``--post-threads 0`` runs
them inline: one rank, one core.

Example (one thread per process; run it with nothing else on the machine)::

    python tools/analysis_tools/benchmark_proxy.py \\
        --ann-file data/coco128/annotations.json \\
        --img-root data/coco128 --max-images 40 \\
        --config configs/boxcaseg/CFG.py --checkpoint CKPT.pth

``--cfg-options`` override the segmentor's config in both measures (e.g.
``model.test_cfg.max_crops=16``: crops per forward pass).

Goals: converter >= 80% of the model-only throughput; 2 processes >= 1.8x
one (needs 2 free cores).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

from mmengine.config import DictAction
from terminaltables import AsciiTable


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--ann-file', required=True)
    p.add_argument('--img-root', required=True)
    p.add_argument('--config', help='BoxCaseg config (adds boxcaseg rows)')
    p.add_argument('--checkpoint', help='weights (default: random init)')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override the BoxCaseg config, key=value')
    p.add_argument('--max-images', type=int, default=40)
    p.add_argument('--procs', type=int, nargs='+', default=[1, 2])
    p.add_argument(
        '--num-workers',
        type=int,
        default=0,
        help='data loader processes per rank')
    p.add_argument(
        '--post-threads',
        type=int,
        default=1,
        help='the converter\'s --post-threads per rank (its default: 1)')
    p.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch/OpenMP threads per process')
    p.add_argument('--work-dir', help='keep outputs here (default: temp)')
    p.add_argument(
        '--model-only-child', help=argparse.SUPPRESS)  # internal: a child
    return p.parse_args(argv)


def subset_json(ann_file: str, max_images: int, out: str) -> int:
    """Write the first ``max_images`` images and their annotations."""
    with open(ann_file) as f:
        data = json.load(f)
    data['images'] = data['images'][:max_images]
    keep = {img['id'] for img in data['images']}
    data['annotations'] = [
        a for a in data['annotations'] if a.get('image_id') in keep
    ]
    with open(out, 'w') as f:
        json.dump(data, f)
    return sum(1 for a in data['annotations'] if not a.get('iscrowd'))


def model_only(args, ann: str, ready=None) -> float:
    """Instances/s of the network alone on the subset's crops; ``ready``
    (optional) is called after the warm-up, before the clock starts."""
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    from mmboxcaseg.apis import init_segmentor
    from mmboxcaseg.datasets import BoxImageDataset
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_segmentor(
        cfg, args.checkpoint, random_weights=args.checkpoint is None)
    ds = BoxImageDataset(
        ann_file=ann,
        data_prefix=dict(img=args.img_root),
        pipeline=cfg.test_dataloader.dataset.pipeline)
    batches = [
        model.data_preprocessor(pseudo_collate([ds[i]]), False)
        for i in range(len(ds))
    ]
    for b in batches:  # the network alone: crops cut before the clock
        b['inputs'] = b['inputs'].load()
    n = sum(len(b['inputs']) for b in batches)
    with torch.no_grad():
        model.predict_probs(batches[0]['inputs'])  # warm-up
        if ready is not None:
            ready()
        start = time.perf_counter()
        for b in batches:
            model.predict_probs(b['inputs'])
        return n / (time.perf_counter() - start)


def _child_main(args) -> int:
    """A model-only child: set up, say ``ready``, wait for ``go`` on stdin,
    then print its instances/s."""

    def ready():
        print('ready', flush=True)
        sys.stdin.readline()

    rate = model_only(args, args.model_only_child, ready)
    print(f'RATE {rate}', flush=True)
    return 0


def model_scaling(args, argv: list, ann: str, procs: int) -> float:
    """Summed instances/s of ``procs`` model-only processes timed together
    (each set up first, then all released at once); each child parses this
    call's own ``argv``, so it measures exactly the configured model."""
    cmd = [sys.executable, osp.abspath(__file__)] + list(argv) + [
        '--model-only-child', ann
    ]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    children = [
        subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env) for _ in range(procs)
    ]
    try:
        for c in children:  # every child set up and warm (logs may come first)
            line = c.stdout.readline()
            while line and line.strip() != 'ready':
                line = c.stdout.readline()
            if not line:
                raise RuntimeError('a model-only child ended before it was '
                                   f'ready (exit {c.wait()})')
        for c in children:
            c.stdin.write('go\n')
            c.stdin.flush()
        rates = []
        for c in children:
            out, _ = c.communicate()
            found = [ln for ln in out.splitlines() if ln.startswith('RATE ')]
            if c.returncode or not found:
                raise RuntimeError(f'model-only child failed (exit '
                                   f'{c.returncode})')
            rates.append(float(found[-1].split()[1]))
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
    return sum(rates)


def _dist_proxy(opts, procs: int) -> dict:
    """score_generators.py's run of ``tools/dist_proxy.sh``."""
    import importlib.util
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'score_generators.py')
    spec = importlib.util.spec_from_file_location('score_generators', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.dist_proxy(opts, procs)


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process (all its threads) and of
    its finished children (the torchrun ranks)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def converter(args, ann, gen, procs, work) -> dict:
    """One converter run: in this process, or ``procs`` torchrun ranks."""
    from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
    opts = ProxyOptions(
        ann_file=ann,
        img_root=args.img_root,
        out=osp.join(work, f'{gen}_p{procs}.json'),
        generator=gen,
        config=args.config if gen == 'boxcaseg' else None,
        checkpoint=args.checkpoint if gen == 'boxcaseg' else None,
        random_weights=gen == 'boxcaseg' and args.checkpoint is None,
        cfg_options=args.cfg_options if gen == 'boxcaseg' else None,
        num_workers=args.num_workers,
        post_threads=args.post_threads,
        progress=False)
    stdout = sys.stdout
    sys.stdout = open(os.devnull, 'w')  # the report tables
    try:
        cpu0 = _cpu_seconds()
        start = time.perf_counter()
        report = generate_proxy_masks(opts) if procs == 1 else \
            _dist_proxy(opts, procs)
        wall = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu0
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    t = report['timing']
    return dict(
        instances=report['processed'],
        wall=wall,
        cpu_ms=1e3 * cpu / max(report['processed'], 1),
        cores=cpu / wall,
        wall_rate=report['processed'] / wall,
        steady=t['processing_instances_per_s'],
        timing=t)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    if args.model_only_child:
        return _child_main(args)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='WARNING')

    work = args.work_dir or tempfile.mkdtemp(prefix='benchmark_proxy_')
    os.makedirs(work, exist_ok=True)
    sub = osp.join(work, 'subset.json')
    n_inst = subset_json(args.ann_file, args.max_images, sub)
    rows = [[
        'generator', 'procs', 'instances', 'wall s', 'wall inst/s',
        'steady inst/s', 'CPU ms/inst', 'cores busy', 'ms/inst: load',
        'inference', 'postprocess', 'write', 'assemble'
    ]]
    results = {}
    gens = ['boxfill'] + (['boxcaseg'] if args.config else [])
    for gen in gens:
        for procs in args.procs:
            r = converter(args, sub, gen, procs, work)
            results[(gen, procs)] = r
            t, n = r['timing'], max(r['instances'], 1)
            rows.append([
                gen, procs, r['instances'], f'{r["wall"]:.2f}',
                f'{r["wall_rate"]:.1f}', f'{r["steady"]:.1f}',
                f'{r["cpu_ms"]:.1f}', f'{r["cores"]:.2f}'
            ] + [
                f'{1e3 * t.get(k, 0.0) / n:.2f}'
                for k in ('load', 'inference', 'postprocess', 'write',
                          'assemble')
            ])
    print(f'{n_inst} instances in the first {args.max_images} images of '
          f'{args.ann_file}; {args.threads} thread(s) per process, '
          f'{args.num_workers} data loader worker(s) and '
          f'{args.post_threads} post-processing thread(s) per rank'
          + (f', {args.cfg_options}' if args.cfg_options else '') +
          '; CPU and stage columns: ms per instance summed over '
          'threads and ranks (CPU: from start-up to the json; stages: wall '
          'time of each rank\'s steps, a step descheduled for another '
          'thread included)')
    print(AsciiTable(rows).table)
    if args.config:
        alone = model_only(args, sub)
        conv = results[('boxcaseg', 1)]['steady']
        print(f'boxcaseg: model only {alone:.1f} instances/s, whole '
              f'converter {conv:.1f} instances/s (1 process, steady): '
              f'ratio {conv / alone:.2f} (goal >= 0.80)')
    for gen in gens:
        if (gen, 1) in results and (gen, 2) in results:
            one, two = results[(gen, 1)], results[(gen, 2)]
            steady = two['steady'] / max(one['steady'], 1e-9)
            wall = two['wall_rate'] / max(one['wall_rate'], 1e-9)
            print(f'{gen}: 2 processes / 1: steady {steady:.2f} (goal >= '
                  f'1.8), wall {wall:.2f}; CPU ms per instance '
                  f'{one["cpu_ms"]:.1f} -> {two["cpu_ms"]:.1f}, 1 process '
                  f'kept {one["cores"]:.2f} cores busy')
    if args.config and 1 in args.procs and 2 in args.procs:
        one = model_scaling(args, argv, sub, 1)
        two = model_scaling(args, argv, sub, 2)
        print(f'boxcaseg, model only, started together: 1 process '
              f'{one:.1f} instances/s, 2 processes {two:.1f}: '
              f'{two / max(one, 1e-9):.2f}x (the ceiling of the converter\'s '
              '2-process ratio on this machine)')
    print(f'outputs in {work}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
