"""The interface every proxy-mask generator implements."""
from collections import Counter
from typing import List, Sequence

import numpy as np

from mmboxcaseg.structures import box_regions


class BaseProxyGenerator:
    """Turns ground-truth boxes into box-local binary masks.

    Subclasses implement :meth:`generate_image` (one image at a time) or
    override :meth:`generate` (to batch across images). ``stats`` counts
    noteworthy events (e.g. fallbacks) for the converter's report;
    ``image_stats`` the same per image of the last :meth:`generate` call.
    """

    def __init__(self) -> None:
        self.stats: Counter = Counter()
        self.image_stats: List[Counter] = []

    def generate(self, images: Sequence[np.ndarray],
                 boxes: Sequence[np.ndarray]) -> List[List[np.ndarray]]:
        """Proxy masks of the boxes of several images.

        Args:
            images (Sequence[np.ndarray]): M images, each (H, W, 3) BGR uint8.
            boxes (Sequence[np.ndarray]): M arrays, each (N_i, 4) float
                ``x1, y1, x2, y2`` in that image's pixel-edge coordinates.

        Returns:
            list[list[np.ndarray]]: per image, per box, a bool mask of the
            shape ``(y1 - y0, x1 - x0)`` of the box's region from
            :func:`mmboxcaseg.structures.box_regions`.
        """
        if len(images) != len(boxes):
            raise ValueError(f'{len(images)} images but {len(boxes)} box '
                             'arrays')
        self.image_stats = []
        out = []
        for img, b in zip(images, boxes):
            before = Counter(self.stats)
            out.append(
                self.generate_image(
                    img,
                    np.asarray(b, dtype=np.float64).reshape(-1, 4)))
            self.image_stats.append(Counter(self.stats) - before)
        return out

    def generate_image(self, image: np.ndarray,
                       boxes: np.ndarray) -> List[np.ndarray]:
        """Proxy masks of the (N, 4) boxes of one (H, W, 3) image."""
        raise NotImplementedError

    @staticmethod
    def regions(image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) int regions ``x0, y0, x1, y1`` of ``boxes`` in ``image``."""
        return box_regions(boxes, image.shape[:2])
