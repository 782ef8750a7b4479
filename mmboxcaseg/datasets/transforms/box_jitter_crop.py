"""The paper's "bbox broaden": a jittered crop around a box, with its label.

Given a box with centre ``(cx, cy)`` and half sizes ``(hw, hh)`` (the box is
first clipped to the image):

* ``cx += U(-shift, shift) * hw``, ``cy += U(-shift, shift) * hh``;
* independent scales ``rx, ry ~ U(*scale_range)``;
* crop ``[cx - rx*hw, cx + rx*hw] x [cy - ry*hh, cy + ry*hh]``, turned into
  pixels by :func:`mmboxcaseg.structures.box_regions` (so clipped to the
  image).

A crop may cut inside the box (scale < 1) or carry context (scale > 1); its
centre stays inside the box, so the label is never empty. Randomness comes
from numpy's global RNG, like mmcv's transforms (seed it with
``np.random.seed``).
"""
from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.structures import box_regions


def mask_box(mask: np.ndarray) -> np.ndarray:
    """Tight ``[x1, y1, x2, y2]`` (pixel edges) of a binary mask.

    Args:
        mask (np.ndarray): ``[H, W]``; an empty mask gives the whole image.

    Returns:
        np.ndarray: float64 ``(4,)``.
    """
    h, w = mask.shape[:2]
    cols = np.flatnonzero(mask.any(axis=0))
    rows = np.flatnonzero(mask.any(axis=1))
    if cols.size == 0:
        return np.array([0.0, 0.0, w, h])
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1],
                    dtype=np.float64)


@TRANSFORMS.register_module()
class BoxJitterCrop(BaseTransform):
    """Crop around a jittered, rescaled box; make the crop's label.

    * box sample (``bbox`` present, no ``gt_seg_map``): the label is the box
      rasterised with :func:`box_regions` in image pixels, intersected with
      the crop, in crop coordinates (the box label ``B``);
    * sample with ``gt_seg_map`` (a salient image): the box is ``bbox`` if
      given, else the mask's tight box; the label is the mask, cropped.

    Required keys: ``img``, and ``bbox`` (xyxy) and/or ``gt_seg_map``.
    Modified keys: ``img``, ``img_shape``. Added keys: ``gt_seg_map`` (uint8
    ``[h, w]`` 0/1), ``crop_region`` (int ``x0, y0, x1, y1`` in the image).

    Args:
        shift (float): centre jitter, in half box sizes. Defaults to 0.25.
        scale_range (tuple): range of the independent x/y scales of the half
            sizes. Defaults to ``(0.5, 1.5)``.
    """

    def __init__(
        self,
        shift: float = 0.25,
        scale_range: Tuple[float, float] = (0.5, 1.5)
    ) -> None:
        if shift < 0 or not 0 < scale_range[0] <= scale_range[1]:
            raise ValueError(f'BoxJitterCrop needs shift >= 0 and 0 < '
                             f'scale_range[0] <= scale_range[1], got '
                             f'shift={shift}, scale_range={scale_range}')
        self.shift = float(shift)
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))

    @cache_randomness
    def _sample(self) -> np.ndarray:
        """``(dx, dy, rx, ry)``: centre shift (half sizes) and scales."""
        d = np.random.uniform(-self.shift, self.shift, size=2)
        r = np.random.uniform(*self.scale_range, size=2)
        return np.concatenate([d, r])

    def crop_region(self, box: np.ndarray,
                    img_shape: Tuple[int, int]) -> np.ndarray:
        """Sample the jittered crop of ``box`` (xyxy) as an int region."""
        h, w = img_shape
        x1, y1, x2, y2 = np.clip(box, 0, [w, h, w, h])
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        hw, hh = (x2 - x1) / 2, (y2 - y1) / 2
        dx, dy, rx, ry = self._sample()
        cx, cy = cx + dx * hw, cy + dy * hh
        crop = np.array(
            [cx - rx * hw, cy - ry * hh, cx + rx * hw, cy + ry * hh])
        return box_regions(crop[None], img_shape)[0]

    def transform(self, results: dict) -> dict:
        img = results['img']
        img_shape = img.shape[:2]
        mask = results.get('gt_seg_map')
        box = results.get('bbox')
        if box is None and mask is None:
            raise KeyError(f'BoxJitterCrop needs "bbox" or "gt_seg_map" '
                           f'({results.get("img_path")})')
        box = mask_box(mask) if box is None else np.asarray(
            box, dtype=np.float64).reshape(4)
        x0, y0, x1, y1 = self.crop_region(box, img_shape)
        if mask is None:
            bx0, by0, bx1, by1 = box_regions(box[None], img_shape)[0]
            label = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
            label[max(by0 - y0, 0):max(by1 - y0, 0),
                  max(bx0 - x0, 0):max(bx1 - x0, 0)] = 1
        else:
            label = mask[y0:y1, x0:x1]
        results['img'] = img[y0:y1, x0:x1]
        results['img_shape'] = label.shape
        results['gt_seg_map'] = label
        results['crop_region'] = (int(x0), int(y0), int(x1), int(y1))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(shift={self.shift}, '
                f'scale_range={self.scale_range})')
