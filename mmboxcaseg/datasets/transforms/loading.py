"""Loading the binary mask of a salient image."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio

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
