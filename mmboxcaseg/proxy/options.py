"""The options of a proxy-mask run and their up-front checks.

Everything a user can get wrong about paths and flags is checked here,
before a model is built or a process started, and reported as one
:class:`ProxyInputError` (the CLI prints ``error: ...`` and exits 2).
"""
import glob
import os
import os.path as osp
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List, Optional, Union

from mmboxcaseg.utils.user_errors import UserError, make_dir

GENERATORS = ('boxcaseg', 'boxfill', 'grabcut')


class ProxyInputError(Exception):
    """A user error that leaves nothing sensible to do (names the item)."""


@dataclass
class ProxyOptions:
    """Options of :func:`generate_proxy_masks` (the CLI's flags).

    ``generator`` is ``boxcaseg`` (needs ``config`` and ``checkpoint``, or
    ``random_weights``), ``boxfill``, ``grabcut`` or a model config dict;
    ``drop_thr=0`` (the default: every mask kept; the paper drops below
    0.95) and ``merge=False`` switch drop and merge off; ``drop_score_thr``
    also ignores masks whose ``score`` is below it (default 0: none);
    ``launcher='pytorch'`` (torchrun) shards the images over the ranks;
    ``report`` defaults to ``<out without .json>.report.json``;
    ``allow_bad_input`` goes on where most boxes stick out of their image
    or most images are missing (:mod:`.input_check`).
    """
    ann_file: str
    img_root: str
    out: str
    generator: Union[str, dict] = 'boxcaseg'
    config: Optional[str] = None
    checkpoint: Optional[str] = None
    random_weights: bool = False
    cfg_options: Optional[dict] = None
    refine: bool = False
    drop_thr: float = 0.0
    agreement: str = 'snapped'
    drop_score_thr: float = 0.0
    merge: bool = True
    batch_size: int = 4
    num_workers: int = 2
    post_threads: int = 1
    resume: bool = False
    report: Optional[str] = None
    launcher: str = 'none'
    progress: bool = True
    keep_parts: bool = False
    allow_outside_root: bool = False
    allow_bad_input: bool = False
    with_gt: bool = True
    backend_args: Optional[dict] = field(default=None)

    @property
    def parts_dir(self) -> str:
        return self.out + '.parts'

    @property
    def lock_path(self) -> str:
        return self.out + '.lock'

    @property
    def report_path(self) -> str:
        return self.report or default_report_path(self.out)

    @property
    def generator_name(self) -> str:
        if isinstance(self.generator, dict):
            return str(self.generator.get('type'))
        return self.generator


def default_report_path(out: str) -> str:
    """The report of output ``out``: ``<out without .json>.report.json``."""
    stem = out[:-5] if out.endswith('.json') else out
    return stem + '.report.json'


def same_file(a, b: str) -> bool:
    """Whether ``a`` (a path, or an open file) is the file at path ``b``.

    Two paths of which one does not exist (yet) are the same file when they
    resolve to the same path; an open file is not a missing path.
    """
    is_open = hasattr(a, 'fileno')
    try:
        sa = os.fstat(a.fileno()) if is_open else os.stat(a)
        sb = os.stat(b)
    except OSError:
        return not is_open and osp.realpath(a) == osp.realpath(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies under it."""
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _run_file_of(path: str, opts: 'ProxyOptions') -> Optional[str]:
    """What the run does to ``path`` if it is one of the files the run
    deletes (its lock, its part folder, the hidden temporaries a killed
    run left), else None: an input there would be deleted with them."""
    if same_file(path, opts.lock_path):
        return f'is the lock file of --out {opts.out}'
    if _inside(path, opts.parts_dir):
        return (f'lies in {opts.parts_dir}, the folder where the run keeps '
                'its parts and which it deletes')
    temporaries = stale_temporaries(opts.out) + stale_temporaries(
        opts.report_path)
    if any(same_file(path, t) for t in temporaries):
        return ('is named like the temporary files of --out / --report, '
                'which the run deletes')
    return None


def _writable_folder(path: str, what: str) -> None:
    """Create the folder of ``path`` (:func:`make_dir`, as mmdet's tools
    do) and check that a file can be written there."""
    folder = osp.dirname(osp.abspath(path))
    try:
        make_dir(folder, f'the folder of {what} {path},')
    except UserError as e:
        raise ProxyInputError(str(e)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ProxyInputError(f'the folder of {what} {path}, {folder}, is '
                              'not writable')


def check_options(opts: ProxyOptions) -> None:
    """Refuse options that cannot work, before any work."""
    if not osp.isfile(opts.ann_file):
        raise ProxyInputError(f'annotation file {opts.ann_file} does not '
                              'exist')
    for what, path in (('--out', opts.out), ('--report', opts.report_path)):
        if same_file(path, opts.ann_file):
            raise ProxyInputError(
                f'{what} {path} is the input file {opts.ann_file}: the input '
                'is never overwritten, choose another output path')
        if osp.isdir(path):
            raise ProxyInputError(f'{what} {path} is a folder; give a file '
                                  'name')
    if same_file(opts.out, opts.report_path):
        raise ProxyInputError(f'--report {opts.report_path} is --out')
    inputs = [('--ann-file', opts.ann_file), ('--img-root', opts.img_root),
              ('--config', opts.config), ('--checkpoint', opts.checkpoint)]
    for what, path in inputs:
        problem = _run_file_of(path, opts) if path else None
        if problem:
            raise ProxyInputError(
                f'{what} {path} {problem}; the input is never touched: move '
                'it or choose another --out')
    if osp.exists(opts.parts_dir) and not osp.isdir(opts.parts_dir):
        raise ProxyInputError(f'{opts.parts_dir} (where the run keeps its '
                              'parts) exists and is not a folder; remove it')
    _writable_folder(opts.out, '--out')
    _writable_folder(opts.report_path, '--report')
    if opts.backend_args is None and not osp.isdir(opts.img_root):
        raise ProxyInputError(f'--img-root {opts.img_root} is not a folder')
    if not 0.0 <= float(opts.drop_thr) <= 1.0:
        raise ProxyInputError(f'--drop-thr must lie in [0, 1], got '
                              f'{opts.drop_thr}')
    if not 0.0 <= float(opts.drop_score_thr) <= 1.0:
        raise ProxyInputError(f'--drop-score-thr must lie in [0, 1], got '
                              f'{opts.drop_score_thr}')
    if opts.agreement not in ('snapped', 'literal'):
        raise ProxyInputError(f'--agreement must be snapped or literal, got '
                              f'{opts.agreement!r}')
    if int(opts.batch_size) < 1 or int(opts.num_workers) < 0 or \
            int(opts.post_threads) < 0:
        raise ProxyInputError('--batch-size must be >= 1, --num-workers and '
                              '--post-threads >= 0')
    if opts.launcher not in ('none', 'pytorch'):
        raise ProxyInputError(f'unknown --launcher {opts.launcher!r}')
    if opts.launcher == 'pytorch' and ('RANK' not in os.environ
                                       or 'WORLD_SIZE' not in os.environ):
        raise ProxyInputError('--launcher pytorch needs RANK and WORLD_SIZE '
                              '(start it with torchrun)')
    name = opts.generator_name
    if not isinstance(opts.generator, dict) and name not in GENERATORS:
        raise ProxyInputError(f'unknown --generator {name!r}; choose one of '
                              f'{list(GENERATORS)}')
    if name == 'boxcaseg':
        if not opts.config:
            raise ProxyInputError('--generator boxcaseg needs --config and '
                                  '--checkpoint')
        if not opts.checkpoint and not opts.random_weights:
            raise ProxyInputError(
                '--generator boxcaseg needs --checkpoint: without one the '
                'segmentor has random weights and writes masks that only '
                'look plausible (pass --random-weights to do that on '
                'purpose, e.g. for a speed benchmark)')
        for flag, path in (('--config', opts.config), ('--checkpoint',
                                                       opts.checkpoint)):
            if path and not osp.isfile(path):
                raise ProxyInputError(f'{flag} {path} does not exist')
    elif opts.refine and not isinstance(opts.generator, dict):
        raise ProxyInputError('--refine refines a segmentor\'s probability '
                              'map: use it with --generator boxcaseg')
    elif opts.cfg_options:
        raise ProxyInputError(f'--cfg-options changes --config, which only '
                              f'--generator boxcaseg reads (not {name})')


def stale_temporaries(out: str) -> List[str]:
    """Hidden temporary files a killed run left beside ``out`` (the output
    or the report, see :func:`~mmboxcaseg.proxy.assemble.atomic_write`)."""
    folder = osp.dirname(osp.abspath(out))
    return glob.glob(osp.join(folder, f'.{glob.escape(osp.basename(out))}'
                              '.*.tmp'))


@contextmanager
def writing(path: str):
    """Name ``path`` in an ``OSError`` raised inside the block: a full disk
    (ENOSPC) or a file size limit fails a ``write`` with an error that names
    no file."""
    try:
        yield
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror or str(e), path) from None
