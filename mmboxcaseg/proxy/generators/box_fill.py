"""Box fill: the mask is the whole box (the no-learning baseline)."""
from typing import List

import numpy as np

from mmboxcaseg.registry import PROXY_GENERATORS
from .base import BaseProxyGenerator


@PROXY_GENERATORS.register_module(name='boxfill')
class BoxFillGenerator(BaseProxyGenerator):
    """Every pixel of the box's region is foreground."""

    def generate_image(self, image: np.ndarray,
                       boxes: np.ndarray) -> List[np.ndarray]:
        regions = self.regions(image, boxes)
        return [
            np.ones((y1 - y0, x1 - x0), dtype=bool)
            for x0, y0, x1, y1 in regions
        ]
