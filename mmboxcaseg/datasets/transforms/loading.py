"""Loading images and salient masks.

Whether a file is an image is decided in one place, :func:`read_image`: a
file it cannot decode is ``image_unreadable`` for stage 2 (through
:class:`LoadBoxImage`) and a counted skip in training (through
:class:`LoadImageOrSkip` and :class:`LoadSalientMask`).
"""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log

from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.utils.problem_log import ProblemLog
from ..image_files import special_file


@TRANSFORMS.register_module()
class LoadSalientMask(BaseTransform):
    """Read ``seg_map_path`` as a 0/1 ``gt_seg_map``.

    Masks are read as grey levels. Masks stored as 0/1 (maximum <= 1) are
    taken as they are; others (0/255, anti-aliased edges) are thresholded:
    foreground is ``value > thr``. A mask that :func:`read_image` cannot
    decode skips its sample as :class:`LoadImageOrSkip` does.

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
        self.skips = SkipCounter('salient mask')

    def transform(self, results: dict) -> Optional[dict]:
        path = results['seg_map_path']
        mask, problem = read_image(path, self.backend_args, 'grayscale',
                                   self.imdecode_backend)
        if mask is None:
            return self.skips.skip(path, problem)
        self.skips.ok()
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
class LoadImageOrSkip(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` for training, where a file that cannot
    be decoded skips its sample instead of stopping the run.

    The data sets check image files by their headers before training
    (decoding all of COCO's 118k images up front would take many minutes);
    a file with a valid header and broken data (a truncated JPEG, a PNG with
    corrupt pixel data) is found when first drawn. :func:`read_image`, the
    rule by which stage 2 counts ``image_unreadable``, then fails; the
    transform returns None and mmengine's ``BaseDataset.__getitem__`` draws
    another sample of the same data set. Each such file is logged once per
    process with the count so far; when most samples are skipped the run
    stops (:class:`SkipCounter`). A missing file is an error, as in mmcv:
    the data sets refuse missing files before training.

    Args: those of mmcv's ``LoadImageFromFile`` (``ignore_empty`` is
    ignored: an unreadable file is always skipped).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skips = SkipCounter('image')

    def transform(self, results: dict) -> Optional[dict]:
        path = results['img_path']
        img, problem = read_image(path, self.backend_args, self.color_type,
                                  self.imdecode_backend)
        if img is None:
            return self.skips.skip(path, problem)
        self.skips.ok()
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


class SkipCounter:
    """The samples a training loader skipped in this process.

    Each undecodable file is logged once, with the counts so far. A few
    broken files in a large set are worth skipping; a set whose samples are
    mostly broken is not, and mmengine would retry ``max_refetch`` (1000)
    times before a message that names no file: once at least
    :attr:`min_skips` samples were skipped and they are more than those
    loaded, a ValueError names the files and stops the run.

    Args:
        what (str): what the loader reads, for the messages.
        min_skips (int): skips before the run may be stopped.
    """

    def __init__(self, what: str, min_skips: int = 50) -> None:
        self.what = what
        self.min_skips = min_skips
        self.loaded = 0
        self.skipped = 0
        self.files: dict = {}  # the skipped files, in the order found

    def ok(self) -> None:
        self.loaded += 1

    def skip(self, path: str, problem: str) -> None:
        """Count a sample whose file :func:`read_image` could not use;
        returns None (the sample), or raises when most are skipped."""
        if problem == 'image_missing':
            raise FileNotFoundError(f'{self.what} {path} does not exist')
        self.skipped += 1
        drawn = self.skipped + self.loaded
        if path not in self.files:
            self.files[path] = None
            print_log(
                f'[{problem}] {self.what} {path} cannot be decoded: its '
                f'samples are skipped ({len(self.files)} such files, '
                f'{self.skipped} of {drawn} samples drawn by this process)',
                logger='current',
                level=logging.WARNING)
        if self.skipped >= self.min_skips and self.skipped > self.loaded:
            names = list(self.files)[:3]
            raise ValueError(
                f'{self.skipped} of {drawn} samples drawn by this process '
                f'were skipped: their {self.what} files cannot be decoded '
                f'({len(self.files)} files, e.g. {names}); most of the data '
                f'set is unusable, check or re-create its files')
        return None


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


def read_image(path: str,
               backend_args: Optional[dict] = None,
               flag: str = 'color',
               backend: Optional[str] = None):
    """``(image, None)`` or ``(None, reason)``: the image as mmcv's
    ``LoadImageFromFile`` reads it (``flag='color'``: ``(H, W, 3)`` uint8
    BGR; ``'grayscale'``: ``(H, W)``); reason ``'image_missing'`` or
    ``'image_unreadable'``.

    The one test of whether a file is an image: stage 2 counts what fails
    here as ``image_unreadable``, training skips it (:class:`SkipCounter`).
    """
    if special_file(path, backend_args):  # e.g. a named pipe: never read
        return None, 'image_unreadable'
    try:
        buf = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        return None, 'image_missing'
    except (OSError, ValueError):
        return None, 'image_unreadable'
    try:
        img = mmcv.imfrombytes(
            buf, flag=flag, channel_order='bgr', backend=backend)
    except Exception:  # decoders raise assorted errors on corrupt bytes
        img = None
    ndim = {'color': 3, 'grayscale': 2}.get(flag)
    if img is None or img.size == 0 or ndim not in (None, img.ndim) or (
            ndim == 3 and img.shape[2] != 3):
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


# problems of images read in this process, the first few of each reason named
_warn_once = ProblemLog()
