"""Stage 2 as an MMEngine test run: its config, its lock, its processes.

:func:`generate_proxy_masks` (behind ``tools/generate_proxy_masks.py``)
checks the options, takes the output's lock, and runs

    BoxImageDataset (one sample per image) -> the config's test pipeline
    (LoadBoxImage, BoxCrops, PackBoxImageInputs) -> the model's predict
    (BoxCaseg, or the box-fill / GrabCut baselines) -> ProxyMaskWriter

with MMEngine's ``Runner.test()``: in this process, or as one rank of a
``torchrun`` (``--launcher pytorch``; ``tools/dist_proxy.sh`` starts
one). Each rank takes a contiguous run of images of about equal work
(:class:`ProxyShardSampler`); ``--resume`` starts each rank after the
last image its part file holds complete. The same evaluation path scores
the segmentor in ``tools/test.py``: only the evaluator differs.
"""
import copy
import dataclasses
import glob
import json
import os
import os.path as osp
import socket
import time
from typing import Optional

from mmengine.config import Config

from mmboxcaseg.evaluation.functional.image_records import ProxySettings
from mmboxcaseg.utils.file_digest import file_digest
from .input_check import check_input
from .options import (ProxyInputError, ProxyOptions, check_options,
                      same_file, stale_temporaries, writing)
from .part_file import header_mismatch, part_path, remove_parts, scan_part
from .shard_sampler import SHARD_IMAGE_COST
from .writer import part_header


# ------------------------------------------------------------------ config
def _pipeline(opts: ProxyOptions, seg_cfg: Optional[Config]) -> list:
    """The test pipeline of the run (the segmentor config's, for boxcaseg)."""
    keep_image = opts.refine or opts.generator_name != 'boxfill'
    if seg_cfg is None:
        pipeline = [
            dict(type='LoadBoxImage'),
            dict(type='BoxCrops', scale=None),
            dict(type='PackBoxImageInputs')
        ]
    else:
        try:
            pipeline = copy.deepcopy(
                seg_cfg.test_dataloader.dataset.pipeline)
        except AttributeError:
            raise ProxyInputError(f'--config {opts.config} has no '
                                  'test_dataloader.dataset.pipeline') from None
        types = [t.get('type') for t in pipeline]
        if 'BoxCrops' not in types or 'PackBoxImageInputs' not in types:
            raise ProxyInputError(
                f'--config {opts.config}: its test pipeline {types} does not '
                'crop boxes (needs LoadBoxImage, BoxCrops and '
                'PackBoxImageInputs; see configs/_base_/datasets/)')
        keep_image = opts.refine or bool(
            seg_cfg.model.get('test_cfg', {}).get('refine'))
    for t in pipeline:
        if t.get('type') == 'LoadBoxImage' and opts.backend_args:
            t['backend_args'] = opts.backend_args
        if t.get('type') == 'PackBoxImageInputs' and keep_image:
            t['keep_image'] = True
    return pipeline


def _model(opts: ProxyOptions) -> tuple:
    """``(model config, segmentor config or None)``."""
    if isinstance(opts.generator, dict):
        return copy.deepcopy(opts.generator), None
    if opts.generator == 'boxfill':
        return dict(type='BoxFillSegmentor'), None
    if opts.generator == 'grabcut':
        return dict(type='GrabCutSegmentor'), None
    seg_cfg = Config.fromfile(opts.config)
    if opts.refine and not seg_cfg.model.get('test_cfg', {}).get('refine'):
        # --refine: the default refinement, before --cfg-options, which may
        # tune it (model.test_cfg.refine.min_size=0); a refinement the
        # config sets keeps its seeds
        seg_cfg.model.setdefault('test_cfg', {})['refine'] = dict(
            type='GrabCutRefine')
    if opts.cfg_options:
        seg_cfg.merge_from_dict(opts.cfg_options)
    return copy.deepcopy(seg_cfg.model), seg_cfg


def _plain(obj):
    """A json-comparable copy (tuples -> lists, objects -> str)."""
    return json.loads(json.dumps(obj, default=str, sort_keys=True))


def run_header(opts: ProxyOptions, model: dict, pipeline: list) -> dict:
    """Everything that decides the output: a part file written under
    another header is refused by ``--resume``."""
    header = dict(
        input_sha1=file_digest(opts.ann_file),
        img_root=osp.abspath(opts.img_root),
        generator=opts.generator_name,
        model=_plain(model),
        pipeline=_plain(pipeline),
        # a part file names the images of its rank: the split must match
        sharding=dict(
            type='ProxyShardSampler', image_cost=SHARD_IMAGE_COST),
        allow_outside_root=bool(opts.allow_outside_root))
    if opts.checkpoint and opts.generator_name == 'boxcaseg':
        header['checkpoint_sha1'] = file_digest(opts.checkpoint)
    return header


def proxy_config(opts: ProxyOptions) -> Config:
    """The MMEngine config of a proxy-mask run."""
    model, seg_cfg = _model(opts)
    pipeline = _pipeline(opts, seg_cfg)
    env_cfg = copy.deepcopy(seg_cfg.get('env_cfg', {})) if seg_cfg else {}
    env_cfg.setdefault('mp_cfg',
                       dict(mp_start_method='fork', opencv_num_threads=0))
    # ranks finish at different times and rank 0 then assembles: allow it
    env_cfg.setdefault('dist_cfg', {})['timeout'] = 6 * 3600
    return Config(
        dict(
            default_scope='mmboxcaseg',
            model=model,
            runner_type='InferenceRunner',
            work_dir=opts.parts_dir,
            launcher=opts.launcher,
            env_cfg=env_cfg,
            log_level='INFO' if opts.progress else 'WARNING',
            default_hooks=dict(
                timer=dict(type='IterTimerHook'),
                logger=dict(type='LoggerHook', interval=50)),
            test_dataloader=dict(
                batch_size=int(opts.batch_size),
                num_workers=int(opts.num_workers),
                persistent_workers=False,
                sampler=dict(
                    type='ProxyShardSampler',
                    image_cost=SHARD_IMAGE_COST,
                    parts_dir=opts.parts_dir,
                    resume=opts.resume),
                collate_fn=dict(type='pseudo_collate'),
                dataset=dict(
                    type='BoxImageDataset',
                    ann_file=osp.abspath(opts.ann_file),
                    data_prefix=dict(img=opts.img_root),
                    with_mask=opts.with_gt,
                    allow_outside_root=opts.allow_outside_root,
                    pipeline=pipeline)),
            test_evaluator=dict(
                type='ProxyMaskWriter',
                out_file=opts.out,
                ann_file=opts.ann_file,
                parts_dir=opts.parts_dir,
                report_file=opts.report_path,
                resume=opts.resume,
                header=run_header(opts, model, pipeline),
                merge=opts.merge,
                drop_thr=float(opts.drop_thr),
                agreement=opts.agreement,
                drop_score_thr=float(opts.drop_score_thr),
                with_gt=opts.with_gt,
                num_threads=int(opts.post_threads),
                allow_outside_root=opts.allow_outside_root),
            test_cfg=dict(type='TestLoop')))


# ------------------------------------------------------------- one rank
def run_rank(opts: ProxyOptions) -> None:
    """Run this process's rank (all of it without a launcher)."""
    from mmboxcaseg.utils import UserError
    from mmboxcaseg.utils.launch import run_runner
    from mmboxcaseg.utils.setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = proxy_config(opts)
    checkpoint = opts.checkpoint \
        if opts.checkpoint and opts.generator_name == 'boxcaseg' else None
    try:
        # a nameless OSError (full disk) names the parts folder, where the
        # runner writes its logs and config dump; the writer names its files
        with writing(opts.parts_dir):
            run_runner(cfg, 'test', checkpoint,
                       opts.config or opts.generator_name)
    except UserError as e:  # a refused checkpoint, a config that fails
        raise ProxyInputError(str(e)) from None


# ------------------------------------------------------------------ lock
def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return True


class RunLock:
    """An exclusive ``flock`` on ``<out>.lock`` for the whole run; the file
    names the process that took it (``pid host``).

    The lock belongs to the open file, which processes forked while it is
    held share (``O_CLOEXEC`` closes it on ``exec`` only), so a data loader
    worker holds it too while it lives (the runner's workers die with
    their rank: :mod:`mmboxcaseg.engine.loader_workers`). A lock held while
    the process it names is gone is held by such a leftover of a killed
    run, which writes nothing: the lock file is replaced and the run goes
    on.
    """

    def __init__(self, path: str, out: str) -> None:
        self.path, self.out = path, out
        self._f = None

    def __enter__(self):
        import fcntl
        while True:
            f = open(self.path, 'a+')
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.seek(0)
                holder = f.read().split()
                if not self._stale(holder):
                    f.close()
                    raise ProxyInputError(
                        f'{self.out} is being written by another run (pid '
                        f'{holder[0] if holder else "?"}); wait for it to '
                        'end, or stop it, then rerun (with --resume to keep '
                        'its work)') from None
                if same_file(f, self.path):
                    try:
                        os.remove(self.path)
                    except FileNotFoundError:  # another run replaced it
                        pass
                f.close()
                continue
            if same_file(f, self.path):  # not replaced meanwhile
                break
            f.close()
        self._f = f
        with writing(self.path):
            f.seek(0)
            f.truncate()
            f.write(f'{os.getpid()} {socket.gethostname()}')
            f.flush()
        return self

    @staticmethod
    def _stale(holder: list) -> bool:
        """Whether the lock's holder (``[pid, host]``) is a process of this
        machine that is gone."""
        return len(holder) == 2 and holder[0].isdigit() and \
            holder[1] == socket.gethostname() and \
            not _pid_alive(int(holder[0]))

    def __exit__(self, *exc):
        try:
            os.remove(self.path)
        except OSError:
            pass
        self._f.close()
        return False


# ------------------------------------------------------------------ main
def _check_resume(opts: ProxyOptions, world: int, ranks) -> None:
    """Refuse to resume from the parts of another run, before any work."""
    import re
    worlds = set()
    for p in glob.glob(osp.join(opts.parts_dir, 'part-*-of-*.jsonl')):
        m = re.search(r'part-\d+-of-(\d+)\.jsonl$', p)
        if m:
            worlds.add(int(m.group(1)))
    worlds.discard(world)
    if worlds:
        raise ProxyInputError(
            f'cannot resume: {opts.parts_dir} holds parts of a run with '
            f'{sorted(worlds)} shard(s) (processes), this run has {world}; '
            'use the same number of processes, or run without --resume')
    writer = proxy_config(opts).test_evaluator
    settings = ProxySettings(**{
        f.name: writer[f.name]
        for f in dataclasses.fields(ProxySettings)
    })
    expected = part_header(writer['header'], settings)
    for r in ranks:
        p = part_path(opts.parts_dir, r, world)
        if not osp.isfile(p):
            continue
        found = scan_part(p).header
        if found is None:
            continue
        diff = header_mismatch(found, dict(expected, rank=r, world=world))
        if diff:
            raise ProxyInputError(
                f'cannot resume from {p}: it was written with a different '
                f'{", ".join(diff)}; run without --resume to start afresh')


def generate_proxy_masks(opts: ProxyOptions) -> Optional[dict]:
    """Run the whole conversion (see the module docstring).

    Returns:
        dict | None: the report (None on torchrun ranks other than 0).

    Raises:
        ProxyInputError: a user error, with a message naming the item.
    """
    check_options(opts)
    check_input(opts)
    rank = int(os.environ.get('RANK', 0)) if opts.launcher == 'pytorch' \
        else 0
    world = int(os.environ.get('WORLD_SIZE', 1)) \
        if opts.launcher == 'pytorch' else 1
    lock = RunLock(opts.lock_path, opts.out) if rank == 0 else None
    start = time.perf_counter()
    if lock is not None:
        lock.__enter__()
    try:
        if rank == 0:
            # left by a kill while an earlier run wrote the output or report
            for tmp in stale_temporaries(opts.out) + stale_temporaries(
                    opts.report_path):
                os.remove(tmp)
        os.makedirs(opts.parts_dir, exist_ok=True)
        if opts.resume:
            _check_resume(opts, world, [rank])
        elif rank == 0:
            # torchrun: the other ranks may already be writing theirs
            remove_parts(
                opts.parts_dir,
                keep_dir=True,
                keep_world=world if opts.launcher == 'pytorch' else None)
        run_rank(opts)
    except ProxyInputError:
        if rank == 0 and not glob.glob(
                osp.join(opts.parts_dir, 'part-*-of-*.jsonl')):
            remove_parts(opts.parts_dir)  # a refused run leaves nothing
        raise
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)
    if rank != 0:
        return None
    if not opts.keep_parts:
        remove_parts(opts.parts_dir)  # with the run's logs (its work dir)
    with open(opts.report_path) as f:
        report = json.load(f)
    report.setdefault('timing', {})['tool_wall'] = round(
        time.perf_counter() - start, 4)
    return report
