"""Time the proxy-mask converter: where does the time per instance go?

Runs ``generate_proxy_masks`` on the first ``--max-images`` images of a COCO
json for the ``boxfill`` generator and, with ``--config``, the ``boxcaseg``
generator (a random model when ``--checkpoint`` is not given: the timing is
the same), each with batch 1 and ``--batch-size``, in 1 and 2 processes, and
prints the converter's own stage timers per instance: inference / merge /
drop / RLE + write, plus the end-to-end throughput.

Example::

    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark_proxy.py \\
        --ann-file ../shared/data/coco128/annotations.json \\
        --img-root ../shared/data/coco128 --max-images 40 \\
        --config configs/boxcaseg/CFG.py

Goals: merge + drop + RLE below 5 % of the boxcaseg total; 2 processes at
least 1.8x one (needs 2 free cores, and a fixed number of threads per
process: ``--threads``, default 1).
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile

from terminaltables import AsciiTable


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--ann-file', required=True)
    p.add_argument('--img-root', required=True)
    p.add_argument('--config', help='BoxCaseg config (adds boxcaseg runs)')
    p.add_argument('--checkpoint', help='weights (default: random init)')
    p.add_argument('--max-images', type=int, default=40)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--device', default='cpu')
    p.add_argument(
        '--generators',
        nargs='+',
        default=None,
        help='default: boxfill, plus boxcaseg with --config')
    p.add_argument('--procs', type=int, nargs='+', default=[1, 2])
    p.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch/OpenMP threads per process')
    p.add_argument('--work-dir', help='keep outputs here (default: temp)')
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


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
    import torch
    torch.set_num_threads(args.threads)
    from mmengine.logging import MMLogger

    from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
    MMLogger.get_instance('mmengine', log_level='WARNING')

    work = args.work_dir or tempfile.mkdtemp(prefix='benchmark_proxy_')
    os.makedirs(work, exist_ok=True)
    sub = osp.join(work, 'subset.json')
    n_inst = subset_json(args.ann_file, args.max_images, sub)
    gens = args.generators or (['boxfill'] +
                               (['boxcaseg'] if args.config else []))
    rows = [[
        'generator', 'batch', 'procs', 'inst', 'wall s', 'inst/s',
        'steady inst/s', 'inference', 'merge', 'drop', 'rle+write', 'other',
        'total', 'm+d+rle %'
    ]]
    results = {}
    for gen in gens:
        for batch in sorted({1, args.batch_size}):
            for procs in args.procs:
                opts = ProxyOptions(
                    ann_file=sub,
                    img_root=args.img_root,
                    out=osp.join(work, f'{gen}_b{batch}_p{procs}.json'),
                    generator=gen,
                    config=args.config,
                    checkpoint=args.checkpoint,
                    batch_size=batch,
                    device=args.device,
                    nproc=procs,
                    progress=False)
                stdout = sys.stdout
                sys.stdout = open(os.devnull, 'w')  # the report tables
                try:
                    report = generate_proxy_masks(opts)
                finally:
                    sys.stdout.close()
                    sys.stdout = stdout
                t = report['timing']
                n = max(report['processed'], 1)
                ms = {
                    k: 1e3 * t.get(k, 0.0) / n
                    for k in ('setup', 'load', 'inference', 'paste', 'merge',
                              'drop', 'rle', 'gt_iou', 'write', 'shard_wall')
                }
                total = ms['shard_wall'] - ms['setup']
                post = ms['merge'] + ms['drop'] + ms['rle']
                other = total - ms['inference'] - post - ms['write']
                share = post / max(total, 1e-12)
                results[(gen, batch, procs)] = dict(
                    steady=t['processing_instances_per_s'], share=share)
                rows.append([
                    gen, batch, procs, report['processed'], f'{t["wall"]:.2f}',
                    f'{t["instances_per_s"]:.1f}',
                    f'{t["processing_instances_per_s"]:.1f}',
                    f'{ms["inference"]:.2f}', f'{ms["merge"]:.3f}',
                    f'{ms["drop"]:.3f}', f'{ms["rle"] + ms["write"]:.3f}',
                    f'{other:.2f}', f'{total:.2f}', f'{100 * share:.2f}'
                ])
    print(f'{n_inst} instances in the first {args.max_images} images; '
          'stage columns: ms per instance, summed over processes; total = '
          'shard time without generator setup; steady inst/s = instances / '
          f'slowest shard without setup; {args.threads} thread(s) per '
          f'process, device {args.device}')
    print(AsciiTable(rows).table)
    for gen in gens:
        b = args.batch_size
        if (gen, b, 1) in results and (gen, b, 2) in results:
            speed = results[(gen, b, 2)]['steady'] / results[(gen, b,
                                                              1)]['steady']
            print(f'{gen}: steady-state throughput, 2 processes / 1 = '
                  f'{speed:.2f} (goal >= 1.8)')
        if gen == 'boxcaseg' and (gen, b, 1) in results:
            print('boxcaseg: merge + drop + RLE = '
                  f'{100 * results[(gen, b, 1)]["share"]:.2f} % of the '
                  'total per instance (goal < 5 %)')
    print(f'outputs in {work}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
