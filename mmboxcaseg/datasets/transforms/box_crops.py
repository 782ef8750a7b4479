"""Crops of every box of an image, resized for the segmentor.

BoxCaseg (arXiv 2104.01526, Sec. 3.3) crops each box tightly (no context)
and resizes the crop to 320 x 320 for inference. The box's pixels are those
of :func:`mmboxcaseg.structures.box_regions`; the predicted mask is later
resized back to the crop and cut to those pixels, so nothing outside the box
is ever foreground.

``context`` (not in the paper) widens the crop by a share of the box size on
every side, clipped to the image; the mask is still cut to the box.

Crops are cut when the model asks for them (:class:`BoxCropList`), a chunk
of ``test_cfg.max_crops`` at a time: an image with 10^5 boxes (a crowd, a
detector's output) never holds 10^5 crops, so the memory of a prediction
does not grow with the number of boxes of an image.
"""
from typing import Optional, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmboxcaseg.registry import TRANSFORMS
from mmboxcaseg.structures import box_regions, neighbour_iou


def crop_windows(boxes: np.ndarray, img_shape: Tuple[int, int],
                 context: float) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel regions of boxes and of their (widened) crop windows.

    Args:
        boxes (np.ndarray): ``(K, 4)`` float xyxy boxes.
        img_shape (tuple): ``(H, W)``.
        context (float): share of the box width / height added on each side.

    Returns:
        tuple: ``regions`` and ``windows``, int64 ``(K, 4)`` half-open
        ``x0, y0, x1, y1``; every window contains its region.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    regions = box_regions(boxes, img_shape)
    if context <= 0:
        return regions, regions.copy()
    wh = boxes[:, 2:] - boxes[:, :2]
    grown = np.concatenate(
        [boxes[:, :2] - context * wh, boxes[:, 2:] + context * wh], axis=1)
    windows = box_regions(grown, img_shape)
    windows[:, :2] = np.minimum(windows[:, :2], regions[:, :2])
    windows[:, 2:] = np.maximum(windows[:, 2:], regions[:, 2:])
    return regions, windows


class BoxCropList:
    """The crops of boxes of an image, cut and resized when loaded.

    Sliced like the ``[K, 3, h, w]`` tensor it stands for (a slice is
    another :class:`BoxCropList`, nothing is cut); :meth:`load` cuts the
    crops of the slice. Picklable, so it travels from data loader workers.

    Args:
        img (np.ndarray | None): the ``(H, W, 3)`` image.
        windows (np.ndarray): ``(K, 4)`` int64 crop windows.
        size (tuple): crop ``(w, h)``; ``(0, 0)``: empty crops.
    """

    def __init__(self, img: Optional[np.ndarray], windows: np.ndarray,
                 size: Tuple[int, int]) -> None:
        self.img = img
        self.windows = np.asarray(windows, dtype=np.int64).reshape(-1, 4)
        self.size = size

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def shape(self) -> Tuple[int, int, int, int]:
        return (len(self), 3, self.size[1], self.size[0])

    def __getitem__(self, index: slice) -> 'BoxCropList':
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError('BoxCropList takes slices with step 1')
        return BoxCropList(self.img, self.windows[index], self.size)

    def load(self) -> torch.Tensor:
        """The crops: uint8 ``[k, 3, h, w]``, channels as the image's."""
        w, h = self.size
        crops = np.empty((len(self), h, w, 3), np.uint8)
        for k, (x0, y0, x1, y1) in enumerate(self.windows if w else ()):
            cv2.resize(
                self.img[y0:y1, x0:x1], (w, h),
                dst=crops[k],
                interpolation=cv2.INTER_LINEAR)
        return torch.from_numpy(
            np.ascontiguousarray(crops.transpose(0, 3, 1, 2)))


@TRANSFORMS.register_module()
class BoxCrops(BaseTransform):
    """Crop and resize the window of every usable box of the image
    (bilinear, as mmcv's ``Resize`` of the training crops).

    A box is usable when its ``skip`` code is 0 and the image was read.

    Required keys: ``img`` (or None), ``boxes`` (``(n, 4)`` xyxy), ``skip``.
    Added keys: ``valid`` (bool ``(n,)``: the boxes that were cropped),
    ``regions`` and ``crop_regions`` (int64 ``(K, 4)`` of the valid boxes:
    their pixels, and the window each crop was cut from),
    ``neighbour_iou`` (float64 ``(K,)``: each region's largest IoU with
    another valid box's region, a factor of the mask score; kept when the
    results bring it, as the Inferencer's do for a chunk of an image's
    boxes, computed over all of them), ``crops``
    (a :class:`BoxCropList` of the ``K`` crops, ``[K, 3, h, w]`` uint8 BGR
    as loaded, cut when loaded).

    Args:
        scale (int | tuple | None): crop size, an int or ``(w, h)`` (the
            paper: 320; the CPU configs: 192). None: no crops, only the
            regions (for predictors that do not look at crops, e.g. box
            fill and GrabCut).
        context (float): widen each crop by this share of its box on every
            side (0: the paper's tight crop).
    """

    def __init__(self,
                 scale: Optional[Union[int, Tuple[int, int]]] = 320,
                 context: float = 0.0) -> None:
        if scale is None:
            w = h = 0
        else:
            w, h = (scale, scale) if isinstance(scale, int) else scale
        if scale is not None and (w < 1 or h < 1) or context < 0:
            raise ValueError(f'BoxCrops needs a positive scale and context '
                             f'>= 0, got {scale}, {context}')
        self.scale = None if scale is None else (int(w), int(h))
        self.context = float(context)

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        skip = np.asarray(results['skip'])
        valid = (skip == 0) & (img is not None)
        results['valid'] = valid
        if valid.any():
            regions, windows = crop_windows(results['boxes'][valid],
                                            img.shape[:2], self.context)
        else:
            regions, windows = np.zeros((2, 0, 4), np.int64)
        results['regions'] = regions
        results['crop_regions'] = windows
        if results.get('neighbour_iou') is None:
            results['neighbour_iou'] = neighbour_iou(regions)
        elif len(results['neighbour_iou']) != len(regions):
            raise ValueError(f"{len(results['neighbour_iou'])} neighbour "
                             f'IoUs for {len(regions)} valid boxes')
        results['crops'] = BoxCropList(img, windows, self.scale or (0, 0))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'context={self.context})')
