"""Boxes of a COCO json -> proxy masks (generate, merge, drop), sharded.

:func:`generate_proxy_masks` is the whole tool behind
``tools/generate_proxy_masks.py``:

1. read and check the json once (:func:`load_proxy_input`);
2. run the shards: image ``i`` goes to shard ``i % W``; each shard appends
   its results to ``<out>.parts/part-RRRRR-of-WWWWW.jsonl`` image by image
   (:class:`ShardWorker`). ``W`` is 1, ``--nproc`` local processes, or the
   ``torchrun`` world (``--launcher pytorch``);
3. rank 0 merges the parts in input order into ``out`` (written atomically)
   and writes the report (:mod:`.report`).

``resume=True`` keeps the complete images of existing part files and
continues after them, re-running the finished boxes that shared the first
unfinished batch (``ShardWorker._carry_over``), so every box is computed in
the same batch and the output is byte-identical to an uninterrupted run.
"""
import glob
import json
import logging
import multiprocessing as mp
import os
import os.path as osp
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple, Union

from mmengine.logging import print_log

from mmboxcaseg.registry import PROXY_GENERATORS
from .assemble import PartIndex, assemble_output, atomic_write
from .coco_input import ProxyInput, ProxyInputError, file_sha1, \
    load_proxy_input
from .part_file import PartWriter, header_mismatch, part_path, scan_part
from .report import build_report, format_report, timing_summary
from .shard_worker import ShardSettings, ShardWorker
from .timers import StageTimers

PART_FORMAT = 'mmboxcaseg-proxy-part-v1'


@dataclass
class ProxyOptions:
    """Options of :func:`generate_proxy_masks` (the CLI's flags).

    ``generator`` is a registered name (``boxcaseg``, ``boxfill``,
    ``grabcut``) or a config dict for ``PROXY_GENERATORS``; ``drop_thr=0``
    and ``merge=False`` switch drop and merge off; ``nproc`` local processes
    (started with ``spawn``: call from under ``if __name__ == '__main__':``)
    or ``launcher='pytorch'`` (torchrun) shard the images; ``report``
    defaults to ``<out without .json>.report.json``.
    """
    ann_file: str
    img_root: str
    out: str
    generator: Union[str, dict] = 'boxcaseg'
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    drop_thr: float = 0.95
    merge: bool = True
    batch_size: int = 16
    device: str = 'cpu'
    resume: bool = False
    report: Optional[str] = None
    launcher: str = 'none'
    nproc: int = 1
    num_threads: int = 4
    progress: bool = True
    keep_parts: bool = False
    backend_args: Optional[dict] = field(default=None)

    @property
    def parts_dir(self) -> str:
        return self.out + '.parts'

    @property
    def report_path(self) -> str:
        if self.report:
            return self.report
        stem = self.out[:-5] if self.out.endswith('.json') else self.out
        return stem + '.report.json'


def _same_file(a: str, b: str) -> bool:
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.realpath(a) == osp.realpath(b)


def check_options(opts: ProxyOptions) -> None:
    """Refuse option combinations that cannot work, before any work."""
    for what, path in (('--out', opts.out), ('--report', opts.report_path)):
        if _same_file(path, opts.ann_file):
            raise ProxyInputError(
                f'{what} {path} is the input file {opts.ann_file}: the input '
                'is never overwritten, choose another output path')
    if _same_file(opts.out, opts.report_path):
        raise ProxyInputError(f'--report {opts.report_path} is --out')
    out_dir = osp.dirname(osp.abspath(opts.out))
    if not osp.isdir(out_dir):
        raise ProxyInputError(f'the folder of --out, {out_dir}, does not '
                              'exist')
    if opts.backend_args is None and not osp.isdir(opts.img_root):
        raise ProxyInputError(f'--img-root {opts.img_root} is not a folder')
    if not 0.0 <= float(opts.drop_thr) <= 1.0:
        raise ProxyInputError(f'--drop-thr must lie in [0, 1], got '
                              f'{opts.drop_thr}')
    if int(opts.batch_size) < 1 or int(opts.nproc) < 1:
        raise ProxyInputError('--batch-size and --nproc must be >= 1')
    if opts.launcher not in ('none', 'pytorch'):
        raise ProxyInputError(f'unknown --launcher {opts.launcher!r}')
    if opts.launcher == 'pytorch' and opts.nproc != 1:
        raise ProxyInputError('--nproc is for local runs; with torchrun set '
                              '--nproc_per_node instead')
    name = _generator_cfg(opts)['type']
    if PROXY_GENERATORS.get(name) is None:
        raise ProxyInputError(f'unknown --generator {name!r}; registered: '
                              f'{sorted(PROXY_GENERATORS.module_dict)}')
    if name == 'boxcaseg':
        if not opts.config:
            raise ProxyInputError('--generator boxcaseg needs --config (and '
                                  '--checkpoint)')
        for flag, path in (('--config', opts.config), ('--checkpoint',
                                                       opts.checkpoint)):
            if path and not osp.isfile(path):
                raise ProxyInputError(f'{flag} {path} does not exist')


def _generator_cfg(opts: ProxyOptions) -> dict:
    import mmboxcaseg.proxy.generators  # noqa: F401  (registers them)
    if isinstance(opts.generator, dict):
        return dict(opts.generator)
    cfg = dict(type=opts.generator)
    if opts.generator == 'boxcaseg':
        cfg.update(
            config=opts.config,
            checkpoint=opts.checkpoint,
            device=opts.device,
            batch_size=opts.batch_size)
    return cfg


def _header(opts: ProxyOptions, inp: ProxyInput, rank: int,
            world: int) -> dict:
    gen = _generator_cfg(opts)
    gen.pop('device', None)
    gen.pop('batch_size', None)
    for key in ('config', 'checkpoint'):
        if gen.get(key) and osp.isfile(gen[key]):
            gen[key + '_sha1'] = file_sha1(gen[key])
            gen[key] = osp.abspath(gen[key])
    return dict(
        format=PART_FORMAT,
        input_sha1=inp.fingerprint,
        generator=json.loads(json.dumps(gen, default=str)),
        merge=bool(opts.merge),
        drop_thr=float(opts.drop_thr),
        rank=rank,
        world=world)


def _existing_worlds(parts_dir: str) -> set:
    worlds = set()
    for p in glob.glob(osp.join(parts_dir, 'part-*-of-*.jsonl')):
        m = re.search(r'part-\d+-of-(\d+)\.jsonl$', p)
        if m:
            worlds.add(int(m.group(1)))
    return worlds


def _check_resume(opts: ProxyOptions, inp: ProxyInput, world: int,
                  ranks: List[int]) -> None:
    """Refuse to resume from parts of another run, before forking."""
    worlds = _existing_worlds(opts.parts_dir) - {world}
    if worlds:
        raise ProxyInputError(
            f'cannot resume: {opts.parts_dir} holds parts of a run with '
            f'{sorted(worlds)} shard(s), this run has {world}; use the same '
            'number of processes, or run without --resume')
    for r in ranks:
        p = part_path(opts.parts_dir, r, world)
        if not osp.isfile(p):
            continue
        found = scan_part(p).header
        if found is None:
            continue
        diff = header_mismatch(found, _header(opts, inp, r, world))
        if diff:
            raise ProxyInputError(
                f'cannot resume from {p}: it was written with different '
                f'{", ".join(diff)}; run without --resume to start afresh')


def _device_for(opts: ProxyOptions, local_rank: int) -> str:
    if opts.device.startswith('cuda') and ':' not in opts.device:
        import torch
        n = max(torch.cuda.device_count(), 1)
        return f'cuda:{local_rank % n}'
    return opts.device


def run_shard(opts: ProxyOptions,
              inp: ProxyInput,
              rank: int,
              world: int,
              local_rank: int = 0,
              on_ready: Optional[Callable[[], None]] = None) -> dict:
    """Process shard ``rank`` of ``world`` into its part file.

    ``on_ready`` is called once the part file is opened (and, without
    resume, emptied): torchrun ranks meet there so that rank 0 never mistakes
    a stale part of an earlier run for a finished shard.

    Returns:
        dict: stage seconds of this run of the shard, its ``shard_wall``
        seconds and ``instances`` processed now (also saved next to the part
        file as ``timing-RRRRR.json``).
    """
    start = time.perf_counter()
    timers = StageTimers()
    gen_cfg = _generator_cfg(opts)
    if gen_cfg['type'] == 'boxcaseg':
        gen_cfg['device'] = _device_for(opts, local_rank)
    with timers('setup'):
        generator = PROXY_GENERATORS.build(gen_cfg)
    settings = ShardSettings(
        img_root=opts.img_root,
        merge=opts.merge,
        drop_thr=float(opts.drop_thr),
        batch_size=int(opts.batch_size),
        num_threads=int(opts.num_threads),
        progress=bool(opts.progress) and rank == 0,
        backend_args=opts.backend_args)
    worker = ShardWorker(inp, generator, settings, timers)
    os.makedirs(opts.parts_dir, exist_ok=True)
    path = part_path(opts.parts_dir, rank, world)
    writer = PartWriter(path, _header(opts, inp, rank, world), opts.resume)
    if on_ready is not None:
        on_ready()
    try:
        worker.run(writer, list(range(rank, len(inp.images), world)))
    finally:
        writer.close()
    timing = timers.as_dict()
    timing['shard_wall'] = time.perf_counter() - start
    timing['instances'] = worker.instances
    with open(osp.join(opts.parts_dir, f'timing-{rank:05d}.json'), 'w') as f:
        json.dump(timing, f)
    return timing


def _shard_process(opts: ProxyOptions, fingerprint: str, rank: int,
                   world: int) -> None:
    """Body of a ``--nproc`` process (started with ``spawn``): read the json
    itself, like a torchrun rank, and run its shard."""
    import torch
    if 'OMP_NUM_THREADS' not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    try:
        inp = load_proxy_input(opts.ann_file, verbose=False)
        if inp.fingerprint != fingerprint:
            raise ProxyInputError(f'{opts.ann_file} changed while running')
        run_shard(opts, inp, rank, world, local_rank=rank)
    except ProxyInputError as e:
        print(f'shard {rank}: {e}', file=sys.stderr)
        sys.exit(2)


def _run_local_processes(opts: ProxyOptions, inp: ProxyInput) -> None:
    """Run ``opts.nproc`` shards in fresh processes.

    ``spawn``, not ``fork``: a forked child of a process whose OpenCV or
    OpenMP thread pools have run can deadlock, and CPython's reference
    counting copies a forked parent's json objects anyway.
    """
    n = int(opts.nproc)
    ctx = mp.get_context('spawn')
    procs = [
        ctx.Process(target=_shard_process, args=(opts, inp.fingerprint, r, n))
        for r in range(n)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    failed = [(r, p.exitcode) for r, p in enumerate(procs) if p.exitcode]
    if failed:
        raise RuntimeError('shard process(es) failed: ' +
                           ', '.join(f'shard {r} (exit code {c})'
                                     for r, c in failed) +
                           '; fix the cause and rerun with --resume')


def _wait_for_parts(opts: ProxyOptions, world: int, poll_s: float = 2.0):
    """Rank 0 of torchrun: wait until every part file ends with ``done``."""
    waiting = set(range(world))
    while waiting:
        for r in sorted(waiting):
            p = part_path(opts.parts_dir, r, world)
            if osp.isfile(p) and _ends_done(p):
                waiting.discard(r)
        if waiting:
            time.sleep(poll_s)


def _all_done(opts: ProxyOptions, world: int) -> bool:
    """Whether every part file of the run is complete."""
    paths = [part_path(opts.parts_dir, r, world) for r in range(world)]
    return all(osp.isfile(p) and _ends_done(p) for p in paths)


def _ends_done(path: str) -> bool:
    with open(path, 'rb') as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64))
        tail = f.read().rstrip(b'\n').rsplit(b'\n', 1)[-1]
    return tail.startswith(b'{"done":')


def _dist_info(opts: ProxyOptions) -> Tuple[int, int, int]:
    if opts.launcher == 'pytorch':
        try:
            return (int(os.environ['RANK']), int(os.environ['WORLD_SIZE']),
                    int(os.environ.get('LOCAL_RANK', 0)))
        except KeyError:
            raise ProxyInputError(
                '--launcher pytorch needs RANK and WORLD_SIZE (start it '
                'with torchrun)') from None
    return 0, int(opts.nproc), 0


def generate_proxy_masks(opts: ProxyOptions) -> Optional[dict]:
    """Run the whole conversion (see the module docstring).

    Returns:
        dict | None: the report (on rank 0; None on other torchrun ranks).

    Raises:
        ProxyInputError: a user error, with a message naming the item.
    """
    start = time.perf_counter()
    check_options(opts)
    rank, world, local_rank = _dist_info(opts)
    inp = load_proxy_input(opts.ann_file, verbose=rank == 0)
    os.makedirs(opts.parts_dir, exist_ok=True)
    if opts.resume:
        ranks = list(range(world)) if opts.launcher == 'none' else [rank]
        _check_resume(opts, inp, world, ranks)
    elif opts.launcher == 'none':
        _remove_parts(opts.parts_dir, keep_dir=True)
    if opts.launcher == 'pytorch':
        run_shard(opts, inp, rank, world, local_rank, on_ready=_meet_once)
        if rank != 0:
            return None
        _wait_for_parts(opts, world)
    elif world == 1:
        run_shard(opts, inp, 0, 1)
    elif not (opts.resume and _all_done(opts, world)):
        _run_local_processes(opts, inp)
    timings = []
    for r in range(world):
        p = osp.join(opts.parts_dir, f'timing-{r:05d}.json')
        if osp.isfile(p):
            with open(p) as f:
                timings.append(json.load(f))

    t0 = time.perf_counter()
    paths = [part_path(opts.parts_dir, r, world) for r in range(world)]
    states = [scan_part(p) for p in paths]
    if not all(s.done for s in states):
        raise RuntimeError(f'part files in {opts.parts_dir} are incomplete')
    index = PartIndex(paths, states)
    acc = assemble_output(inp, index, opts.out)
    assemble_s = time.perf_counter() - t0

    timing = timing_summary(timings, time.perf_counter() - start)
    n_new = timing.pop('instances', 0)
    timing['assemble'] = round(assemble_s, 4)
    timing['shards'] = world
    timing['instances_per_s'] = round(n_new / max(timing['wall'], 1e-9), 2)
    # steady state: the slowest shard's time after building its generator
    busy = max([t['shard_wall'] - t.get('setup', 0.0) for t in timings],
               default=0.0)
    timing['processing_wall'] = round(busy, 4)
    timing['processing_instances_per_s'] = round(n_new / max(busy, 1e-9), 2)
    gen = _generator_cfg(opts)
    settings = dict(
        input=opts.ann_file,
        output=opts.out,
        generator=gen['type'],
        merge=bool(opts.merge),
        drop_thr=float(opts.drop_thr))
    report = build_report(
        acc['agreement'],
        acc['ignored'],
        acc['skip'],
        acc['gt_iou'],
        acc['category_ids'],
        crowd=acc['crowd'],
        notes=acc['notes'],
        settings=settings,
        timing=timing)
    with atomic_write(opts.report_path) as f:
        json.dump(report, f, indent=2)
    print(format_report(report))
    print_log(
        f'wrote {opts.out} and {opts.report_path}',
        logger='current',
        level=logging.INFO)
    if not opts.keep_parts:
        _remove_parts(opts.parts_dir)
    return report


def _remove_parts(parts_dir: str, keep_dir: bool = False) -> None:
    """Delete the part and timing files this tool wrote, then the folder if
    it is empty (unless ``keep_dir``)."""
    for pattern in ('part-*-of-*.jsonl', 'timing-*.json'):
        for p in glob.glob(osp.join(parts_dir, pattern)):
            os.remove(p)
    if not keep_dir:
        try:
            os.rmdir(parts_dir)
        except OSError:
            pass


def _meet_once() -> None:
    """A barrier of all torchrun ranks (gloo), then the group is closed:
    shards run for hours, longer than any collective timeout."""
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    dist.barrier()
    dist.destroy_process_group()
