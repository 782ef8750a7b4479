"""Check image files before training, from their headers (no decoding).

A header is cheap to read for a whole data set; whether the data decodes is
found when a sample is loaded (``transforms.loading.read_image``).
"""
import io
import logging
import os.path as osp
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple, Union

from mmengine import fileio
from mmengine.logging import print_log

from mmboxcaseg.utils.problem_log import ProblemLog

# EXIF orientations that swap width and height when applied (OpenCV, and so
# mmcv's image loading, applies them)
_TRANSPOSED = (5, 6, 7, 8)


def special_file(path: str, backend_args: Optional[dict] = None) -> bool:
    """Whether ``path`` is a local file system entry that is not a regular
    file (a named pipe, a device, a socket, a folder): reading one may block
    forever (a pipe nobody writes) or never end (``/dev/zero``), so it is
    ``image_unreadable`` without being opened."""
    return backend_args is None and osp.exists(path) and \
        not osp.isfile(path)


def image_size(path: str,
               backend_args: Optional[dict] = None
               ) -> Union[Tuple[int, int], str]:
    """``(height, width)`` of an image as it will be decoded, from its header
    only; or the reason it cannot be read (``'image_missing'``,
    ``'image_unreadable'``, ``'image_too_large'``: PIL refuses to open a
    header of more than twice ``Image.MAX_IMAGE_PIXELS`` as a
    decompression bomb)."""
    from PIL import Image, UnidentifiedImageError
    if special_file(path, backend_args):
        return 'image_unreadable'
    try:
        if backend_args is None and osp.isfile(path):
            src = path
        else:
            src = io.BytesIO(fileio.get(path, backend_args=backend_args))
    except FileNotFoundError:
        return 'image_missing'
    except (OSError, ValueError):
        return 'image_unreadable'
    if isinstance(src, str) and not osp.exists(src):
        return 'image_missing'
    try:
        with Image.open(src) as im:
            w, h = im.size
            try:
                orientation = im.getexif().get(274, 1)
            except Exception:  # broken EXIF blocks: OpenCV ignores them
                orientation = 1
    except FileNotFoundError:
        return 'image_missing'
    except Image.DecompressionBombError:
        return 'image_too_large'
    except (UnidentifiedImageError, OSError, ValueError):
        return 'image_unreadable'
    return (w, h) if orientation in _TRANSPOSED else (h, w)


def image_sizes(paths: Sequence[str],
                backend_args: Optional[dict] = None,
                num_threads: int = 8) -> List[Union[Tuple[int, int], str]]:
    """:func:`image_size` of each path (None for a path that is None),
    ``num_threads`` files opened at once."""
    def one(path):
        return None if path is None else image_size(path, backend_args)

    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        return list(pool.map(one, paths))


def check_images(paths: Sequence[str],
                 sizes: Sequence[Optional[Tuple[int, int]]],
                 backend_args: Optional[dict] = None,
                 skip_paths: Optional[Sequence[bool]] = None,
                 num_threads: int = 8,
                 kind: str = 'image',
                 say: Optional[ProblemLog] = None) -> List[Optional[str]]:
    """The problem of each file, or None; the first few of each reason are
    logged.

    Args:
        paths (Sequence[str]): image files.
        sizes (Sequence): the ``(height, width)`` each should have (None:
            any size).
        backend_args (dict, optional): mmengine file backend arguments.
        skip_paths (Sequence[bool], optional): True where not to look.
        num_threads (int): files opened at once.
        kind (str): what the files are (``'mask'``), the reasons' prefix.
        say (ProblemLog, optional): the log to count the problems in, for
            a caller that checks more files; without it a line with the
            counts ends the check.

    Returns:
        list: per file None, ``'image_missing'``, ``'image_unreadable'``,
        ``'image_too_large'`` or ``'image_size_mismatch'`` (``image``
        replaced by ``kind``).
    """
    start = time.perf_counter()
    skip_paths = skip_paths or [False] * len(paths)
    got = image_sizes([None if s else p for p, s in zip(paths, skip_paths)],
                      backend_args, num_threads)
    log = ProblemLog() if say is None else say
    problems = []
    for path, have, want in zip(paths, got, sizes):
        problem, msg = None, path
        if isinstance(have, str):
            problem = have
        elif have is not None and want is not None and \
                tuple(have) != tuple(want):
            problem = 'image_size_mismatch'
            msg = f'{path} is {tuple(have)} (h, w), not {tuple(want)}'
        if problem is not None:
            problem = problem.replace('image', kind, 1)
            log(problem, msg)
        problems.append(problem)
    if say is None and log.total:
        print_log(
            f'{log.total} of {len(paths)} {kind} files cannot be used as '
            f'they are ({dict(log.counts)}; checked in '
            f'{time.perf_counter() - start:.1f} s)',
            logger='current',
            level=logging.WARNING)
    return problems
