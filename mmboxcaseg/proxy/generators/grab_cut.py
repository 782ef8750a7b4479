"""OpenCV GrabCut with the box as the rectangle (a classic baseline)."""
from typing import List

import cv2
import numpy as np

from mmboxcaseg.registry import PROXY_GENERATORS
from .base import BaseProxyGenerator

# GrabCut fits 5-component colour GMMs: both sides need a few pixels.
_MIN_SIDE = 2
_MIN_PIXELS = 16


@PROXY_GENERATORS.register_module(name='grabcut')
class GrabCutGenerator(BaseProxyGenerator):
    """``cv2.grabCut`` initialised with the box's region as the rectangle.

    GrabCut runs on the whole image (the pixels outside the rectangle are its
    background sample). The GMMs are initialised by k-means with OpenCV's
    random generator, which is re-seeded before every box so that the result
    does not depend on the order or batching of the boxes.

    A *degenerate* box falls back to box fill and is counted in
    ``stats['grabcut_fallback']``: a region thinner than 2 px, with fewer
    than 16 pixels inside or outside it, or one where OpenCV raises (e.g. no
    foreground left after an iteration).

    Args:
        iterations (int): GrabCut iterations. Defaults to 5.
        seed (int): seed of OpenCV's RNG before each box. Defaults to 0.
    """

    def __init__(self, iterations: int = 5, seed: int = 0) -> None:
        super().__init__()
        self.iterations = int(iterations)
        self.seed = int(seed)

    def generate_image(self, image: np.ndarray,
                       boxes: np.ndarray) -> List[np.ndarray]:
        h, w = image.shape[:2]
        out = []
        for x0, y0, x1, y1 in self.regions(image, boxes):
            bw, bh = int(x1 - x0), int(y1 - y0)
            inside = bw * bh
            if (min(bw, bh) < _MIN_SIDE or inside < _MIN_PIXELS
                    or h * w - inside < _MIN_PIXELS):
                self.stats['grabcut_fallback'] += 1
                out.append(np.ones((bh, bw), dtype=bool))
                continue
            mask = np.zeros((h, w), dtype=np.uint8)
            bgd = np.zeros((1, 65), dtype=np.float64)
            fgd = np.zeros((1, 65), dtype=np.float64)
            cv2.setRNGSeed(self.seed)
            try:
                cv2.grabCut(image, mask, (int(x0), int(y0), bw, bh), bgd, fgd,
                            self.iterations, cv2.GC_INIT_WITH_RECT)
            except cv2.error:
                self.stats['grabcut_fallback'] += 1
                out.append(np.ones((bh, bw), dtype=bool))
                continue
            local = mask[y0:y1, x0:x1]
            out.append((local == cv2.GC_FGD) | (local == cv2.GC_PR_FGD))
        return out
