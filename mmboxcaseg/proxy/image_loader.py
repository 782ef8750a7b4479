"""Read images ahead of the converter in a small thread pool."""
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Iterator, Optional, Tuple

import mmcv
import numpy as np
from mmengine import fileio


def read_image(
    path: str,
    backend_args: Optional[dict] = None
) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """Read one image as (H, W, 3) BGR uint8, as mmcv's LoadImageFromFile does.

    Returns:
        tuple: ``(image, None)``, or ``(None, reason)`` with reason
        ``'image_missing'`` or ``'image_unreadable'``.
    """
    try:
        buf = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        return None, 'image_missing'
    except (OSError, ValueError):
        return None, 'image_unreadable'
    try:
        img = mmcv.imfrombytes(buf, flag='color', channel_order='bgr')
    except Exception:  # decoders raise assorted errors on corrupt bytes
        img = None
    if img is None or img.ndim != 3 or img.shape[2] != 3:
        return None, 'image_unreadable'
    return img, None


def prefetch_images(paths: Iterable[str],
                    num_threads: int = 4,
                    depth: int = 16,
                    backend_args: Optional[dict] = None) -> Iterator[tuple]:
    """Yield :func:`read_image` results in the order of ``paths``.

    At most ``depth`` images are read ahead, so memory does not grow with the
    number of images. ``None`` paths yield ``(None, 'bad_image_entry')``.
    """

    def task(p):
        if p is None:
            return None, 'bad_image_entry'
        return read_image(p, backend_args)

    if num_threads <= 0:
        for p in paths:
            yield task(p)
        return
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        pending = deque()
        for p in paths:
            pending.append(pool.submit(task, p))
            if len(pending) >= depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
