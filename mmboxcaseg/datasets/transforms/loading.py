"""Loading images and salient masks."""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log

from mmboxcaseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSalientMask(BaseTransform):
    """Read ``seg_map_path`` as a 0/1 ``gt_seg_map``.

    Masks are read as grey levels. Masks stored as 0/1 (maximum <= 1) are
    taken as they are; others (0/255, anti-aliased edges) are thresholded:
    foreground is ``value > thr``.

    Required keys: ``seg_map_path`` (and ``img`` if loaded, to check sizes).
    Added keys: ``gt_seg_map`` (uint8 ``[H, W]``, values 0/1).

    Args:
        thr (int): grey-level threshold for masks with values above 1.
            Defaults to 127.
        imdecode_backend (str): mmcv image decoding backend.
            Defaults to ``'cv2'``.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 thr: int = 127,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.thr = thr
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        mask = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            flag='grayscale',
            backend=self.imdecode_backend)
        if mask is None:
            raise ValueError(f'cannot decode the salient mask {path}')
        img = results.get('img')
        if img is not None and img.shape[:2] != mask.shape[:2]:
            raise ValueError(
                f'salient mask {path} is {mask.shape[:2]} (h, w) but its '
                f'image {results.get("img_path")} is {img.shape[:2]}')
        thr = 0 if mask.max() <= 1 else self.thr
        results['gt_seg_map'] = (mask > thr).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(thr={self.thr}, '
                f'imdecode_backend={self.imdecode_backend!r})')


@TRANSFORMS.register_module()
class LoadBoxImage(BaseTransform):
    """Read the image of a :class:`BoxImageDataset` sample, or say why not.

    Unlike mmcv's ``LoadImageFromFile`` a missing or broken image is not an
    error: ``img`` is None and ``problem`` names the reason
    (``image_missing``, ``image_unreadable``, ``image_size_mismatch`` when
    the decoded size differs from the json's ``height`` / ``width``), so the
    image's annotations become counted skips. A ``problem`` set by the index
    (e.g. ``image_too_large``) is kept and the file is not read.

    Required keys: ``img_path``, ``height``, ``width``; optional ``problem``.
    Added keys: ``img`` (``(H, W, 3)`` uint8 BGR or None), ``img_shape``,
    ``ori_shape`` (``(height, width)`` of the json), ``problem``.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        h, w = int(results['height']), int(results['width'])
        results['ori_shape'] = (h, w)
        results['img_shape'] = (h, w)
        img, problem, detail = None, results.get('problem'), ''
        if problem is None:
            img, problem = read_image(results['img_path'], self.backend_args)
            if img is not None and img.shape[:2] != (h, w):
                detail = (f'is {img.shape[1]}x{img.shape[0]}, the json says '
                          f'{w}x{h}')
                img, problem = None, 'image_size_mismatch'
            if problem is not None:
                _warn_once(problem,
                           image_problem_message(problem, results, detail))
        results['img'] = img
        results['problem'] = problem
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'


def read_image(path: str, backend_args: Optional[dict] = None):
    """``(image, None)`` or ``(None, reason)``: the image as ``(H, W, 3)``
    uint8 BGR, as mmcv's ``LoadImageFromFile`` reads it; reason
    ``'image_missing'`` or ``'image_unreadable'``."""
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


def image_problem_message(problem: Optional[str], info: dict,
                          detail: str = '') -> str:
    """The warning for an image whose annotations get no mask."""
    what = {
        'image_missing': 'does not exist',
        'image_unreadable': 'cannot be read as an image',
        'image_size_mismatch': detail,
    }.get(problem, 'has an invalid json entry')
    n = len(info.get('ann_ids', ()))
    return (f'image {info.get("img_path")} (id {info.get("img_id")!r}) '
            f'{what}: its {n} annotations get no mask')


_WARNED: dict = {}


def _warn_once(reason: str, msg: str, limit: int = 5) -> None:
    """Log the first ``limit`` messages of a reason in this process."""
    _WARNED[reason] = _WARNED.get(reason, 0) + 1
    if _WARNED[reason] <= limit:
        print_log(f'[{reason}] {msg}', logger='current',
                  level=logging.WARNING)
