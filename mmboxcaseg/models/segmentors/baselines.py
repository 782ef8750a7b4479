"""The no-learning box -> mask baselines, as models of the same interface.

They take the samples of :class:`~mmboxcaseg.datasets.BoxImageDataset`
like :class:`BoxCaseg` does, so evaluation (``tools/test.py``) and proxy
masks (``tools/generate_proxy_masks.py --generator boxfill|grabcut``) run
them through the same data set, metric and writer.
"""
from collections import Counter
from typing import List

import numpy as np
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from mmboxcaseg.registry import MODELS
from ..task_modules.grab_cut import grabcut_region, rect_seeds


class _BoxBaseline(BaseModel):
    """Shared plumbing: no parameters, ``predict`` only."""

    def forward(self, inputs, data_samples=None, mode: str = 'predict'):
        if mode != 'predict':
            raise RuntimeError(f'{type(self).__name__} has no {mode!r} mode: '
                               'it is not trained')
        return self.predict(inputs, data_samples)


@MODELS.register_module()
class BoxFillSegmentor(_BoxBaseline):
    """Every pixel of the box's region is foreground (probability 1)."""

    def predict(self, inputs,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        for s in data_samples:
            s.pred_probs = np.ones((len(s.regions), 1, 1), np.float32)
            s.set_metainfo(dict(mask_thr=0.5, refine=None))
        return data_samples


@MODELS.register_module()
class GrabCutSegmentor(_BoxBaseline):
    """``cv2.grabCut`` with the box as the rectangle, on the whole image.

    Needs the image in the samples (``PackBoxImageInputs(keep_image=True)``).
    A degenerate box (thinner than 2 px, fewer than 16 px inside or outside
    it) or one OpenCV fails on falls back to box fill, counted as
    ``grabcut_fallback`` in the sample's ``stats``.

    Args:
        iterations (int): GrabCut iterations. Defaults to 5.
        seed (int): OpenCV RNG seed before each box. Defaults to 0.
    """

    def __init__(self, iterations: int = 5, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.iterations = int(iterations)
        self.seed = int(seed)

    def predict(self, inputs,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        for s in data_samples:
            img = s.get('img', None)
            if img is None and len(s.regions):
                raise ValueError(
                    'GrabCutSegmentor needs the image: use '
                    "PackBoxImageInputs(keep_image=True) (image "
                    f'{s.metainfo.get("img_path")})')
            masks, stats = [], Counter()
            for x0, y0, x1, y1 in s.regions:
                m = grabcut_region(img, (x0, y0, x1, y1),
                                   rect_seeds(y1 - y0, x1 - x0),
                                   self.iterations, None, self.seed)
                if m is None:
                    stats['grabcut_fallback'] += 1
                    m = np.ones((y1 - y0, x1 - x0), dtype=bool)
                masks.append(m)
            s.pred_masks = masks
            s.stats = dict(stats)
        return data_samples
