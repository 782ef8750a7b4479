"""Occlusion with a true mask: another salient object pasted over this one.

Not in BoxCaseg (arXiv 2104.01526). Salient images show one whole object;
the boxes of everyday photos hold parts of others (an occluder, a
neighbour). Pasting the object of a second salient image (cut by its mask,
rescaled) over part of this image's object gives a crop of that kind whose
true mask is still known: the visible part, ``mask & ~occluder``. A
:class:`~mmboxcaseg.models.heads.MaskQualityHead` learns on such crops how
a box with a second object inside scores. Used in mmdet's
``MultiImageMixDataset``, which hands over the second sample as
``mix_results`` (:meth:`PasteOccluder.get_indexes`). Randomness comes from
numpy's global RNG, like mmcv's transforms.
"""
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmboxcaseg.registry import TRANSFORMS
from .box_jitter_crop import mask_box


@TRANSFORMS.register_module()
class PasteOccluder(BaseTransform):
    """Paste the object of ``mix_results[0]`` over part of this object.

    With probability ``prob``: the other object (its mask's box, scaled so
    that its longer side is ``U(*scale_range)`` times this object's longer
    box side) is centred at a random point of this object's box, moved
    towards a random side by ``U(0, 1)`` half box sizes, and its masked
    pixels are copied over this image. ``gt_seg_map`` becomes the visible
    part. A paste that leaves less than ``min_visible`` of the object (or
    covers none of it) is not made.

    Required keys: ``img``, ``gt_seg_map``, ``mix_results`` (one sample with
    ``img`` and ``gt_seg_map``). Modified keys: ``img``, ``gt_seg_map``.
    Added key: ``occluded`` (bool). ``mix_results`` is removed.

    Args:
        prob (float): share of the samples that get an occluder.
        scale_range (tuple[float, float]): occluder size, in this object's
            longer box side.
        min_visible (float): the least share of the object left visible.
    """

    def __init__(self,
                 prob: float = 0.5,
                 scale_range: Tuple[float, float] = (0.5, 1.0),
                 min_visible: float = 0.3) -> None:
        lo, hi = scale_range
        if not 0 <= prob <= 1 or not 0 < lo <= hi or \
                not 0 <= min_visible <= 1:
            raise ValueError('PasteOccluder needs 0 <= prob <= 1, '
                             '0 < scale_range[0] <= scale_range[1] and 0 <= '
                             f'min_visible <= 1, got prob={prob}, '
                             f'scale_range={scale_range}, '
                             f'min_visible={min_visible}')
        self.prob = float(prob)
        self.scale_range = (float(lo), float(hi))
        self.min_visible = float(min_visible)

    def get_indexes(self, dataset) -> List[int]:
        """One random other sample of ``dataset`` (``MultiImageMixDataset``
        loads it into ``mix_results``)."""
        return [int(np.random.randint(len(dataset)))]

    def transform(self, results: dict) -> dict:
        mix = results.pop('mix_results', None)
        results['occluded'] = False
        if not mix:
            raise KeyError('PasteOccluder needs mix_results: wrap the data '
                           'set in mmdet.MultiImageMixDataset')
        if np.random.rand() >= self.prob:
            return results
        pasted = self._paste(results['img'], results['gt_seg_map'],
                             mix[0]['img'], mix[0]['gt_seg_map'])
        if pasted is not None:
            results['img'], results['gt_seg_map'] = pasted
            results['occluded'] = True
        return results

    def _paste(self, img: np.ndarray, mask: np.ndarray, other: np.ndarray,
               other_mask: np.ndarray) -> Optional[tuple]:
        """``(img, visible mask)`` with the occluder pasted, or None."""
        fg = mask > 0
        area = np.count_nonzero(fg)
        other_fg = other_mask > 0
        if area == 0 or not other_fg.any():
            return None
        x0, y0, x1, y1 = mask_box(fg)
        ox0, oy0, ox1, oy1 = (int(v) for v in mask_box(other_fg))
        cut = other[oy0:oy1, ox0:ox1]
        cut_mask = other_fg[oy0:oy1, ox0:ox1].astype(np.uint8)
        side = max(x1 - x0, y1 - y0) * np.random.uniform(*self.scale_range)
        f = side / max(ox1 - ox0, oy1 - oy0)
        w = max(1, int(round((ox1 - ox0) * f)))
        h = max(1, int(round((oy1 - oy0) * f)))
        cut = cv2.resize(cut, (w, h), interpolation=cv2.INTER_LINEAR)
        cut_mask = cv2.resize(
            cut_mask, (w, h), interpolation=cv2.INTER_NEAREST) > 0
        # a point of this object's box, moved towards one side
        cx = np.random.uniform(x0, x1)
        cy = np.random.uniform(y0, y1)
        shift = np.random.uniform(0, 1) * np.array([x1 - x0, y1 - y0]) / 2
        sx, sy = (1, 0) if np.random.rand() < 0.5 else (0, 1)
        sign = 1 if np.random.rand() < 0.5 else -1
        cx += sign * sx * shift[0]
        cy += sign * sy * shift[1]
        px0, py0 = int(round(cx - w / 2)), int(round(cy - h / 2))
        # the part of the occluder inside the image
        H, W = fg.shape
        ix0, iy0 = max(px0, 0), max(py0, 0)
        ix1, iy1 = min(px0 + w, W), min(py0 + h, H)
        if ix0 >= ix1 or iy0 >= iy1:
            return None
        occ = np.zeros_like(fg)
        occ[iy0:iy1, ix0:ix1] = cut_mask[iy0 - py0:iy1 - py0,
                                         ix0 - px0:ix1 - px0]
        visible = fg & ~occ
        kept = np.count_nonzero(visible)
        if kept == area or kept < self.min_visible * area:
            return None
        img = img.copy()
        patch = np.zeros_like(img)
        patch[iy0:iy1, ix0:ix1] = cut[iy0 - py0:iy1 - py0,
                                      ix0 - px0:ix1 - px0]
        img[occ] = patch[occ]
        return img, visible.astype(mask.dtype)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'scale_range={self.scale_range}, '
                f'min_visible={self.min_visible})')
