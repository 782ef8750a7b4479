"""Check image files before training, from their headers (no decoding).

A header is cheap to read for a whole data set; whether the data decodes is
found when a sample is loaded (``transforms.loading.read_image``).
"""
import io
import os.path as osp
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence, Tuple, Union

from mmengine import fileio
from mmengine.logging import print_log

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


def check_images(paths: Sequence[str],
                 sizes: Sequence[Optional[Tuple[int, int]]],
                 backend_args: Optional[dict] = None,
                 skip_paths: Optional[Sequence[bool]] = None,
                 num_threads: int = 8) -> List[Optional[str]]:
    """The problem of each image, or None.

    Args:
        paths (Sequence[str]): image files.
        sizes (Sequence): the ``(height, width)`` each should have (None:
            any size).
        backend_args (dict, optional): mmengine file backend arguments.
        skip_paths (Sequence[bool], optional): True where not to look.
        num_threads (int): files opened at once.

    Returns:
        list: per image None, ``'image_missing'``, ``'image_unreadable'`` or
        ``'image_size_mismatch'``.
    """
    start = time.perf_counter()
    skip_paths = skip_paths or [False] * len(paths)

    def one(k):
        if skip_paths[k]:
            return None
        got = image_size(paths[k], backend_args)
        if isinstance(got, str):
            return got
        want = sizes[k]
        return 'image_size_mismatch' if want is not None and \
            tuple(got) != tuple(want) else None

    with ThreadPoolExecutor(max(1, num_threads)) as pool:
        problems = list(pool.map(one, range(len(paths))))
    bad = [(p, r) for p, r in zip(paths, problems) if r is not None]
    for p, r in bad[:5]:
        print_log(f'[{r}] {p}', logger='current', level=30)
    if bad:
        print_log(
            f'{len(bad)} of {len(paths)} images cannot be used as they are '
            f'(checked in {time.perf_counter() - start:.1f} s)',
            logger='current',
            level=30)
    return problems
