"""Boxes -> masks with a trained BoxCaseg segmentor."""
import copy
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmboxcaseg.registry import MODELS
from mmboxcaseg.utils.launch import flush_denormals
from mmboxcaseg.structures import box_regions, paste_masks
from ..models.layers import crop_and_resize
from ..models.segmentors import logits_to_region_masks


def init_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None):
    """Build a :class:`BoxCaseg` from a config and load its weights.

    Args:
        config (str | Path | Config): config file or object (not modified).
        checkpoint (str, optional): weights; all keys must match. Without
            one the model keeps its random initialisation (a warning says so).
        device (str): e.g. ``'cpu'``, ``'cuda:0'``. On CPU, SyncBN layers are
            reverted to BN.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        BoxCaseg: in eval mode on ``device``, with the config as ``.cfg``.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config)}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise ValueError(f'config {config.filename} has no `model`')
    init_default_scope(config.get('default_scope', 'mmboxcaseg'))
    model = MODELS.build(config.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    else:
        warnings.warn('init_segmentor: no checkpoint, the segmentor has '
                      'random weights')
    if torch.device(device).type == 'cpu':
        model = revert_sync_batchnorm(model)
        flush_denormals()  # subnormal floats make CPU inference crawl
    model.cfg = config
    return model.to(device).eval()


def _check_image(image, index: int) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.ndim != 3 \
            or image.shape[2] != 3 or image.dtype != np.uint8:
        desc = (f'{image.dtype} array of shape {image.shape}' if isinstance(
            image, np.ndarray) else type(image).__name__)
        raise ValueError(f'image {index}: expected an H x W x 3 uint8 BGR '
                         f'array, got {desc}')
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f'image {index} is empty: shape {image.shape}')
    return np.ascontiguousarray(image)


def _check_boxes(boxes, index: int) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'boxes of image {index}: expected (N, 4) xyxy, got '
                         f'shape {boxes.shape}')
    bad = ~np.isfinite(boxes).all(axis=1) | (boxes[:, 2] < boxes[:, 0]) \
        | (boxes[:, 3] < boxes[:, 1])
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f'image {index}, box {j}: not a finite xyxy box '
                         f'with x2 >= x1 and y2 >= y1: {boxes[j].tolist()} '
                         f'({int(bad.sum())} bad boxes in this image)')
    return boxes


class _CropBatcher:
    """Collects crops from many images; runs the model every ``size``."""

    def __init__(self, model, size: int, results: List[list]) -> None:
        self.model, self.size, self.results = model, size, results
        self.crops, self.keys, self.sizes = [], [], []
        self.count = 0

    def add(self, crops: torch.Tensor, keys: list, sizes: np.ndarray):
        self.crops.append(crops)
        self.keys += keys
        self.sizes.append(sizes)
        self.count += len(keys)
        while self.count >= self.size:
            self._run(self.size)

    def flush(self) -> None:
        if self.count:
            self._run(self.count)

    def _run(self, n: int) -> None:
        crops, sizes = torch.cat(self.crops), np.concatenate(self.sizes)
        keys = self.keys
        self.crops, self.sizes = [crops[n:]], [sizes[n:]]
        self.keys, self.count = keys[n:], self.count - n
        data = self.model.data_preprocessor(dict(inputs=crops[:n]), False)
        logits = self.model.predict_logits(data['inputs'])
        masks = logits_to_region_masks(logits, sizes[:n],
                                       self.model.test_cfg.mask_thr)
        for (i, j), mask in zip(keys[:n], masks):
            self.results[i][j] = mask.cpu().numpy().copy()


def config_crop_size(cfg: Optional[Config], default: int = 320) -> int:
    """The side tight box crops are resized to by the config's test pipeline.

    Proxy masks must see crops of the size the segmentor was evaluated
    with: the ``Resize`` that follows ``TightBoxCrop`` in
    ``cfg.test_dataloader``'s pipeline (square scales only); ``default``
    when there is no such step.
    """
    try:
        pipeline = cfg.test_dataloader.dataset.pipeline
    except AttributeError:
        return default
    types = [t.get('type') for t in pipeline]
    if 'TightBoxCrop' not in types:
        return default
    for t in pipeline[types.index('TightBoxCrop') + 1:]:
        if t.get('type') == 'Resize':
            scale = t.get('scale')
            scale = (scale, scale) if isinstance(scale, int) else scale
            if scale is not None and scale[0] == scale[1]:
                return int(scale[0])
    return default


@torch.no_grad()
def predict_region_masks(model,
                         images: Sequence[np.ndarray],
                         boxes: Sequence[np.ndarray],
                         batch_size: int = 64,
                         crop_size: Optional[int] = None
                         ) -> List[List[np.ndarray]]:
    """Segment every box of every image (method-spec section 5).

    Each box's tight region (``box_regions``, no context) is cropped and
    resized bilinearly to ``crop_size x crop_size`` on the model's device,
    crops of consecutive images share batches of ``batch_size``, the model's
    ``data_preprocessor`` normalises them as in training, the logits of
    ``model.test_cfg.pred`` (``'mixed'`` in the paper) are post-processed
    by :func:`logits_to_region_masks` with ``model.test_cfg.mask_thr``.

    Args:
        model (BoxCaseg): e.g. from :func:`init_segmentor` (eval mode).
        images (Sequence[np.ndarray]): H x W x 3 uint8 BGR images.
        boxes (Sequence[np.ndarray]): per image, (N_i, 4) float xyxy boxes
            in image pixels.
        batch_size (int): crops per forward pass.
        crop_size (int, optional): side of the square model input. Defaults
            to the size the config's test pipeline resizes tight box crops to
            (:func:`config_crop_size`; 320 in the paper).

    Returns:
        list[list[np.ndarray]]: per image, per box, a bool mask of the box's
        region shape ``(y1 - y0, x1 - x0)``.
    """
    if len(images) != len(boxes):
        raise ValueError(f'{len(images)} images but {len(boxes)} box arrays')
    if crop_size is None:
        crop_size = config_crop_size(getattr(model, 'cfg', None))
    if batch_size < 1 or crop_size < 1:
        raise ValueError('batch_size and crop_size must be >= 1')
    device = next(model.parameters()).device
    boxes = [_check_boxes(b, i) for i, b in enumerate(boxes)]
    results = [[None] * len(b) for b in boxes]
    batcher = _CropBatcher(model, batch_size, results)
    for i, (image, img_boxes) in enumerate(zip(images, boxes)):
        image = _check_image(image, i)
        if len(img_boxes) == 0:
            continue
        regions = box_regions(img_boxes, image.shape[:2])
        image_t = torch.from_numpy(image).to(device)
        # at most one batch of crops of this image in memory at a time
        for start in range(0, len(regions), batch_size):
            part = regions[start:start + batch_size]
            crops = crop_and_resize(image_t, torch.from_numpy(part),
                                    (crop_size, crop_size))
            keys = [(i, j) for j in range(start, start + len(part))]
            sizes = np.stack(
                [part[:, 3] - part[:, 1], part[:, 2] - part[:, 0]], axis=1)
            batcher.add(crops, keys, sizes)
    batcher.flush()
    return results


def segment_boxes(model,
                  image: Union[str, Path, np.ndarray],
                  boxes: np.ndarray,
                  batch_size: int = 64) -> np.ndarray:
    """Full-image masks of the boxes of one image.

    Args:
        model (BoxCaseg): the segmentor.
        image (str | Path | np.ndarray): image file or H x W x 3 uint8 BGR.
        boxes (np.ndarray): (N, 4) float xyxy boxes.
        batch_size (int): crops per forward pass.

    Returns:
        np.ndarray: (N, H, W) bool, False outside each box's region.
    """
    if isinstance(image, (str, Path)):
        path = str(image)
        image = mmcv.imread(path, flag='color')  # FileNotFoundError
        if image is None:
            raise ValueError(f'could not decode the image file {path}')
    image = _check_image(image, 0)
    boxes = _check_boxes(boxes, 0)
    masks = predict_region_masks(model, [image], [boxes], batch_size)[0]
    regions = box_regions(boxes, image.shape[:2])
    return paste_masks(masks, regions, image.shape[:2])
