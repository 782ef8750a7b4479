"""The trained BoxCaseg segmentor as proxy-mask generator (method-spec 5)."""
import importlib
from collections import Counter
from typing import List, Optional, Sequence

import numpy as np

from mmboxcaseg.registry import PROXY_GENERATORS
from mmboxcaseg.structures import box_regions
from .base import BaseProxyGenerator


@PROXY_GENERATORS.register_module(name='boxcaseg')
class BoxCasegGenerator(BaseProxyGenerator):
    """Predict box-local masks with a BoxCaseg segmentor.

    Delegates to :func:`mmboxcaseg.apis.inference.init_segmentor` and
    :func:`mmboxcaseg.apis.inference.predict_region_masks` (tight box crop,
    resize, ``S_mix``, min-max, resize back, threshold), so proxy masks are
    exactly what the segmentor's per-instance evaluation scores. Crops of all
    the images given to one :meth:`generate` call are batched together.

    Args:
        config (str): segmentor config file.
        checkpoint (str, optional): checkpoint; ``None`` keeps the random
            initialisation (for benchmarks only).
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        batch_size (int): crops per forward pass.
        model (optional): an already built segmentor (then ``config`` and
            ``checkpoint`` are not used).
    """

    def __init__(self,
                 config: Optional[str] = None,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 batch_size: int = 16,
                 model=None) -> None:
        super().__init__()
        try:
            inference = importlib.import_module('mmboxcaseg.apis.inference')
        except ImportError as e:
            raise ImportError('the boxcaseg generator needs '
                              f'mmboxcaseg.apis.inference: {e}') from e
        self._predict = inference.predict_region_masks
        if model is None:
            if config is None:
                raise ValueError('the boxcaseg generator needs a segmentor '
                                 'config (--config) and checkpoint '
                                 '(--checkpoint)')
            model = inference.init_segmentor(config, checkpoint, device)
        self.model = model
        self.batch_size = int(batch_size)

    def generate(self, images: Sequence[np.ndarray],
                 boxes: Sequence[np.ndarray]) -> List[List[np.ndarray]]:
        if len(images) != len(boxes):
            raise ValueError(f'{len(images)} images but {len(boxes)} box '
                             'arrays')
        boxes = [np.asarray(b, dtype=np.float64).reshape(-1, 4) for b in boxes]
        masks = self._predict(self.model, list(images), boxes, self.batch_size)
        self._check(images, boxes, masks)
        self.image_stats = [Counter() for _ in images]
        return [[np.asarray(m, dtype=bool) for m in per] for per in masks]

    @staticmethod
    def _check(images, boxes, masks) -> None:
        if len(masks) != len(images):
            raise RuntimeError(f'predict_region_masks returned masks for '
                               f'{len(masks)} images, expected {len(images)}')
        for i, (img, b, per) in enumerate(zip(images, boxes, masks)):
            regions = box_regions(b, img.shape[:2])
            if len(per) != len(regions):
                raise RuntimeError(f'predict_region_masks returned {len(per)}'
                                   f' masks for image {i}, expected '
                                   f'{len(regions)}')
            for j, (m, (x0, y0, x1, y1)) in enumerate(zip(per, regions)):
                if tuple(np.shape(m)) != (y1 - y0, x1 - x0):
                    raise RuntimeError(
                        f'predict_region_masks returned a {np.shape(m)} mask '
                        f'for box {j} of image {i}, its region needs '
                        f'{(y1 - y0, x1 - x0)}')
