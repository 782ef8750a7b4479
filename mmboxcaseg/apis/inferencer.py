"""Boxes in, masks out, the way ``mmdet.apis.DetInferencer`` is used.

``BoxCasegInferencer`` is MMEngine's ``BaseInferencer`` around the same
pipeline and post-processing as evaluation and proxy masks (the config's
test pipeline without its image loader, ``BoxCaseg.predict``,
:func:`~mmboxcaseg.models.segmentors.sample_region_masks`), so a box gets the
same mask here as in ``tools/test.py`` and ``tools/generate_proxy_masks.py``.

Inputs: an image (path, ``np.ndarray`` BGR / RGB / gray / RGBA, PIL image),
a folder, a list of these, or a COCO json (its images and boxes). Boxes: an
``(N, 4)`` (or ``(4,)``) xyxy array per image, a COCO json (matched by
``file_name``), or a detector's results json (``image_id``, ``bbox`` xywh,
``score``: mmdet's ``*.bbox.json``) together with a COCO json of the images.

Every input box gets a result, in input order, with its id: a mask and a
score, or a skip reason. Boxes follow the converter's rules
(:func:`~mmboxcaseg.structures.coco_index.parse_box_list`,
:func:`~mmboxcaseg.structures.coco_index.box_skip_codes`): a box that is not
4 finite numbers is ``bad_box``, not an error. Boxes that look like the
other format (``x, y, w, h`` arrays with ``x2 < x1``, a json's boxes that
fit their image only as ``x1, y1, x2, y2``) get a ``UserWarning`` naming
the likely mistake (the converter's rule:
:func:`~mmboxcaseg.structures.coco_index.box_format_doubt`). An image's
boxes are cropped, predicted and turned into masks ``chunk_size`` at a
time, so the memory of a step does not grow with the number of boxes.
"""
import copy
import json
import logging
import os
import os.path as osp
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.fileio import list_dir_or_file
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log

from mmboxcaseg.datasets.image_files import image_size
from mmboxcaseg.datasets.transforms import read_image
from mmboxcaseg.structures import (box_regions, empty_rle, encode_masks,
                                   neighbour_iou, paste_masks)
from mmboxcaseg.structures.coco_index import (MAX_PIXELS, SKIP_REASONS,
                                              box_format_doubt,
                                              box_skip_codes, index_coco,
                                              parse_box_list, parse_boxes)
from .inference import init_segmentor

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# masks asked for as one (N, H, W) bool array; above, mask_format='rle'
MAX_MASK_ARRAY_BYTES = 1 << 32
# full-image masks pasted at once before they are RLE-encoded
PASTE_BYTES = 1 << 24


def as_bgr(image,
           channel_order: str = 'bgr',
           where: str = 'image') -> np.ndarray:
    """An ``(H, W, 3)`` uint8 BGR copy of an image array or PIL image.

    Gray ``(H, W)`` / ``(H, W, 1)`` images are repeated to 3 channels,
    RGBA / BGRA lose their alpha; ``channel_order='rgb'`` says the array is
    RGB (PIL images always are). More than ``MAX_PIXELS`` pixels are
    refused before anything is copied (:func:`check_image_size`).
    """
    if hasattr(image, 'convert') and hasattr(image, 'mode'):  # PIL
        check_image_size(image.size[1], image.size[0], where)
        image, channel_order = np.asarray(image.convert('RGB')), 'rgb'
    if not isinstance(image, np.ndarray):
        raise TypeError(f'expected an image path, array or PIL image, got '
                        f'{type(image).__name__}')
    if image.dtype != np.uint8:
        raise ValueError(f'image arrays must be uint8, got {image.dtype}')
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or \
            0 in image.shape[:2]:
        raise ValueError(f'expected an H x W, H x W x 1, 3 or 4 image, got '
                         f'shape {image.shape}')
    check_image_size(*image.shape[:2], where)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    image = image[..., :3]
    if channel_order == 'rgb':
        image = image[..., ::-1]
    elif channel_order != 'bgr':
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    return np.ascontiguousarray(image)


def as_boxes(boxes, where: str) -> np.ndarray:
    """``(N, 4)`` float64 xyxy boxes (4 numbers are one box); a NaN row
    where a box is not 4 numbers (the converter's rule,
    :func:`parse_box_list`: strings are not numbers). Lists are read row by
    row (numpy would make ``[["1", 2, 3, 4], [1, 2, 3, 4]]`` all strings);
    an array of another shape than ``(N, 4)`` or ``(4,)`` is an error."""
    if isinstance(boxes, (list, tuple)):
        rows = list(boxes)
        if len(rows) == 4 and not any(
                isinstance(v, (list, tuple, np.ndarray)) for v in rows):
            rows = [rows]  # one box
        return parse_box_list(rows).reshape(-1, 4)
    arr = np.asarray(boxes)
    if arr.size == 0:
        return np.zeros((0, 4))
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f'{where}: expected (N, 4) xyxy boxes, got shape '
                         f'{arr.shape}')
    return parse_box_list(arr)


def too_large(height: int, width: int, where: str) -> Optional[str]:
    """Why an image of more than ``MAX_PIXELS`` pixels is refused, as the
    converter refuses it (``image_too_large``: its masks alone would take
    gigabytes); None for other sizes."""
    if height * width <= MAX_PIXELS:
        return None
    return (f'{where}: {width} x {height} pixels, more than {MAX_PIXELS} '
            '(the converter\'s limit too); not read')


def check_image_size(height: int, width: int, where: str) -> None:
    """Raise :func:`too_large`'s ValueError."""
    msg = too_large(height, width, where)
    if msg:
        raise ValueError(msg)


IMAGE_PROBLEMS = {
    'image_missing': 'no such image file',
    'image_unreadable': 'cannot be read as an image (empty, truncated or '
    'not an image file)',
    'image_too_large': 'has more pixels than PIL opens (its header looks '
    'like a decompression bomb); not read',
    'image_size_mismatch': 'is not of the size its json entry declares',
}


@dataclass
class _Item:
    """One input image and its boxes, before the image is read.

    ``boxes`` are ``(N, 4)`` xyxy as given (NaN: not 4 numbers), ``reasons``
    a skip reason per box known before reading (the json's) or None,
    ``problem`` the json entry's image-level reason, ``size`` its declared
    ``(height, width)``. A json's image that cannot be read is a skip of
    its boxes (as in the converter); an image given directly, an error.
    """
    index: int
    image: Any
    path: Optional[str]
    img_id: Any
    boxes: np.ndarray
    ann_ids: list
    reasons: list
    gts: Optional[list] = None
    problem: Optional[str] = None
    size: Tuple[int, int] = (0, 0)
    from_json: bool = False


class _ImageResult:
    """An image's result, filled a chunk of boxes at a time."""

    def __init__(self, item: _Item, img, shape, reasons, clipped,
                 mask_format: str, return_logits: bool, draw: bool) -> None:
        h, w = shape
        n = len(reasons)
        self.item, self.img, self.shape = item, img, (h, w)
        self.reasons, self.clipped = reasons, clipped
        self.mask_format = mask_format
        if mask_format == 'array':
            if n * h * w > MAX_MASK_ARRAY_BYTES:
                where = item.path or f'image {item.index}'
                raise ValueError(
                    f'{where}: {n} masks of {w} x {h} pixels take '
                    f'{n * h * w / 2**30:.1f} GiB as one array; use '
                    "mask_format='rle'")
            self.masks = np.zeros((n, h, w), dtype=bool)
        else:
            empty = empty_rle(h, w)
            self.masks = [empty] * n
        self.scores = np.zeros(n)
        self.logits = [] if return_logits else None
        self.drawn = [] if draw else None

    def add(self, sel: List[int], sample: dict, refiners: dict) -> None:
        """The predicted sample of the boxes at positions ``sel``."""
        from mmboxcaseg.models.segmentors import sample_region_masks
        masks, scores, _ = sample_region_masks(sample, refiners)
        regions = sample['regions']
        self.scores[sel] = scores
        if self.mask_format == 'array':
            for j, m, (x0, y0, x1, y1) in zip(sel, masks, regions):
                self.masks[j, y0:y1, x0:x1] = m
        else:
            h, w = self.shape
            step = max(1, PASTE_BYTES // (h * w))
            for lo in range(0, len(sel), step):
                full = paste_masks(
                    masks[lo:lo + step],
                    regions[lo:lo + step], (h, w),
                    column_major=True)
                for j, rle in zip(sel[lo:lo + step], encode_masks(full)):
                    self.masks[j] = rle
        if self.logits is not None and 'pred_probs' in sample:
            p = np.clip(sample['pred_probs'], 1e-6, 1 - 1e-6)
            self.logits.append(np.log(p) - np.log1p(-p))
        if self.drawn is not None:
            self.drawn.append((sel, masks, regions))

    def result(self) -> dict:
        item = self.item
        res = dict(
            img_path=item.path,
            img_id=item.img_id,
            ann_ids=list(item.ann_ids),
            boxes=item.boxes,
            masks=self.masks,
            scores=self.scores,
            skipped=list(self.reasons))
        if self.logits is not None:
            res['logits'] = np.concatenate(self.logits) if self.logits \
                else np.zeros((0, 0, 0), np.float32)
        return res

    def drawable(self) -> Optional[dict]:
        """The image's prediction as :class:`BoxMaskVisualizer` draws it."""
        if self.img is None or self.drawn is None:
            return None
        sel = [j for s, _, _ in self.drawn for j in s]
        gts = self.item.gts
        return dict(
            img=self.img,
            img_path=self.item.path,
            valid=np.ones(len(sel), dtype=bool),
            boxes=self.clipped[sel].reshape(-1, 4),
            regions=np.concatenate([r for _, _, r in self.drawn]
                                   or [np.zeros((0, 4), np.int64)]),
            pred_masks=[m for _, ms, _ in self.drawn for m in ms],
            segmentations=[gts[j] for j in sel] if gts else None)


class BoxCasegInferencer(BaseInferencer):
    """Masks (and a score) for the boxes of images.

    Args:
        model (str | Config | nn.Module, optional): a config file, a model
            name of ``model-index.yml`` (then its weights by default), a
            config object, or a built segmentor (e.g. from
            :func:`init_segmentor`).
        weights (str, optional): checkpoint.
        device (str, optional): ``'cpu'``, ``'cuda:0'``... (default: cuda
            when available).
        refine (bool, optional): switch GrabCut refinement on (decided per
            box, ``GrabCutRefine``'s defaults) / off (default: the config's
            ``model.test_cfg.refine``; the CPU configs refine).
        show_progress (bool): a progress bar over the images.
        chunk_size (int): boxes of an image cropped, predicted and turned
            into masks together (the network sees ``test_cfg.max_crops`` at
            a time); the memory of a step does not grow beyond it.

    Call::

        result = inferencer(inputs, boxes=None, img_root=None,
                            batch_size=1, mask_format='array',
                            return_logits=False, out_dir='',
                            draw_gt=False, show=False)

    ``result['predictions']``: per image a dict with ``img_path`` (or
    None), ``img_id`` (the json's, else the input's position), ``ann_ids``
    (each box's id: the annotation's or detection's ``id``, else its
    position), ``boxes`` (``(N, 4)`` xyxy as given; NaN rows for boxes
    that are not 4 numbers), ``masks`` (``(N, H, W)`` bool, or a list of
    COCO RLEs with ``mask_format='rle'``, the choice for many boxes: an
    array of more than ``MAX_MASK_ARRAY_BYTES`` is refused),
    ``scores`` (``(N,)``: a quality head's predicted IoU of the mask where
    the model has one, else the mean certainty ``|2p - 1|`` of the network
    over the box, times GrabCut's agreement with the network's mask under
    a refinement, times ``1 -`` the box's largest IoU with another given
    box; 0 for a skipped box; see docs/model_zoo.md for how they rank
    masks), ``skipped`` (``(N,)`` reason or None: one of
    ``SKIP_REASONS``, or ``'crowd'`` for a json's crowd annotation) and
    with ``return_logits`` the crop-resolution ``logits`` of the boxes
    not skipped. ``out_dir`` writes ``preds/<name>.json`` and
    ``vis/<name>.png``. ``batch_size``: chunks of an image forwarded
    together. ``return_datasamples=True`` gives the model's data samples,
    one per chunk.
    """
    preprocess_kwargs: set = {'boxes', 'img_root', 'channel_order'}
    forward_kwargs: set = set()
    visualize_kwargs: set = {'show', 'wait_time', 'draw_gt', 'out_dir'}
    postprocess_kwargs: set = {'mask_format', 'return_logits', 'no_save_pred'}

    def __init__(self,
                 model=None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 refine: Optional[bool] = None,
                 show_progress: bool = False,
                 chunk_size: int = 256) -> None:
        if int(chunk_size) < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        self.chunk_size = int(chunk_size)
        self._refine = refine
        built = model if isinstance(model, torch.nn.Module) else None
        if built is not None:
            model = copy.deepcopy(getattr(built, 'cfg', None))
            if model is None:
                raise ValueError('a built model needs its config as .cfg '
                                 '(use mmboxcaseg.apis.init_segmentor)')
        elif isinstance(model, str) and not osp.isfile(model):
            name = model
            model, meta_weights = find_model(name)
            if weights is None and meta_weights is None:
                raise ValueError(
                    f'model {name!r} has no weights in model-index.yml: pass '
                    'weights=CKPT (the demo: --weights CKPT; random weights '
                    'give meaningless masks)')
            if weights is None and not osp.isfile(meta_weights):
                raise FileNotFoundError(
                    f'the weights of {name!r}, {meta_weights}, do not exist '
                    'yet: `make model` trains and writes them, or pass '
                    'weights=CKPT (the demo: --weights CKPT)')
            weights = weights or meta_weights
        self._built = built
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope='mmboxcaseg',
            show_progress=show_progress)
        if refine is not None:
            self.model.test_cfg['refine'] = dict(
                type='GrabCutRefine') if refine else None

    # ------------------------------------------------------------ set-up
    def _init_model(self, cfg, weights, device):
        if self._built is not None:
            return self._built.eval()
        return init_segmentor(cfg, weights, device=device or 'cpu')

    def _init_pipeline(self, cfg) -> Compose:
        pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        pipeline = [t for t in pipeline if t['type'] != 'LoadBoxImage']
        for t in pipeline:
            if t['type'] == 'PackBoxImageInputs':
                t['keep_image'] = True  # refinement and pictures need it
        return Compose(pipeline)

    def _init_collate(self, cfg):
        return pseudo_collate

    def _init_visualizer(self, cfg):
        from mmboxcaseg.registry import VISUALIZERS
        try:
            vis = VISUALIZERS.build(
                dict(type='BoxMaskVisualizer', name=f'inferencer{id(self)}'))
        except KeyError:
            return None
        return vis

    # ------------------------------------------------------------ inputs
    def _inputs_to_list(self, inputs) -> list:
        if isinstance(inputs, str) and osp.isdir(inputs):
            names = sorted(
                f for f in list_dir_or_file(inputs, list_dir=False)
                if f.lower().endswith(IMAGE_SUFFIXES))
            return [osp.join(inputs, f) for f in names]
        if isinstance(inputs, (list, tuple)):
            return list(inputs)
        return [inputs]

    def preprocess(self,
                   inputs: list,
                   batch_size: int = 1,
                   boxes=None,
                   img_root: Optional[str] = None,
                   channel_order: str = 'bgr'):
        """Per image ``(image, batches)``: the image read and its boxes
        checked (:class:`_ImageResult` arguments), and a generator of
        ``(positions, collated chunks)``, ``batch_size`` chunks of at most
        ``chunk_size`` boxes each."""
        for item in self._items(inputs, boxes, img_root):
            img, problem = self._read(item, channel_order)
            h, w = img.shape[:2] if img is not None else item.size
            codes, clipped, _ = box_skip_codes(item.boxes, h, w)
            reasons = [
                r or (SKIP_REASONS[c - 1] if c else problem)
                for r, c in zip(item.reasons, codes)
            ]
            todo = [j for j, r in enumerate(reasons) if r is None]
            batches = self._batches(item, img, (h, w), clipped, todo,
                                    batch_size)
            yield (item, img, (h, w), reasons, clipped), batches

    def _batches(self, item: _Item, img, shape, clipped, todo, batch_size):
        h, w = shape
        # the score's crowding factor looks at every box of the image, not
        # only at those of a box's chunk
        crowd = np.zeros(len(clipped))
        crowd[todo] = neighbour_iou(box_regions(clipped[todo], (h, w)))
        chunks = [
            todo[lo:lo + self.chunk_size]
            for lo in range(0, len(todo), self.chunk_size)
        ]
        for lo in range(0, len(chunks), max(1, int(batch_size))):
            sels = chunks[lo:lo + max(1, int(batch_size))]
            data = []
            for sel in sels:
                results = dict(
                    img=img,
                    img_path=item.path,
                    img_id=item.img_id,
                    sample_idx=item.index,
                    ori_shape=(h, w),
                    height=h,
                    width=w,
                    problem=None,
                    boxes=clipped[sel],
                    input_boxes=item.boxes[sel],
                    neighbour_iou=crowd[sel],
                    skip=np.zeros(len(sel), np.uint8),
                    ann_ids=[item.ann_ids[j] for j in sel],
                    category_ids=[0] * len(sel))
                if item.gts is not None:
                    results['segmentations'] = [item.gts[j] for j in sel]
                data.append(self.pipeline(results))
            yield sels, self.collate_fn(data)

    def _read(self, item: _Item, channel_order: str):
        """``(image, None)`` or ``(None, reason)`` (a json's image only: an
        image given directly that cannot be used is an error naming it)."""
        if item.problem is not None:
            return None, item.problem
        if item.image is not None:
            return as_bgr(item.image, channel_order,
                          f'image {item.index}'), None
        path = item.path
        size = image_size(path)  # the header: nothing decoded yet
        img, problem = None, None
        msg = too_large(*size, path) if not isinstance(size, str) else None
        if msg or size == 'image_too_large':
            problem = 'image_too_large'
        else:
            img, problem = read_image(path)
        if img is not None and item.from_json and \
                img.shape[:2] != tuple(item.size):
            img, problem = None, 'image_size_mismatch'
        if problem is None:
            return img, None
        msg = msg or f'{path}: {IMAGE_PROBLEMS[problem]}'
        if not item.from_json:
            error = FileNotFoundError if problem == 'image_missing' \
                else ValueError
            raise error(msg)
        print_log(
            f'[{problem}] {msg}: its {len(item.boxes)} boxes are skipped',
            logger='current',
            level=logging.WARNING)
        return None, problem

    def _items(self, inputs: list, boxes, img_root) -> List[_Item]:
        if len(inputs) == 1 and isinstance(inputs[0], str) and \
                inputs[0].endswith('.json'):
            return self._items_from_coco(inputs[0], boxes, img_root)
        if isinstance(boxes, str):
            return self._items_matched(inputs, boxes)
        if boxes is None:
            raise ValueError('give the boxes: an (N, 4) array per image, or '
                             'a COCO / detector json')
        per_image = isinstance(boxes, (list, tuple)) and len(boxes) == 1 \
            and _ndim(boxes[0]) == 2
        if len(inputs) == 1 and not per_image:
            boxes = [boxes]
        if len(boxes) != len(inputs):
            raise ValueError(f'{len(inputs)} images but {len(boxes)} box '
                             'arrays')
        out = []
        for k, (inp, b) in enumerate(zip(inputs, boxes)):
            path = inp if isinstance(inp, str) else None
            bxs = as_boxes(b, f'image {path or k}')
            _warn_format(box_format_doubt(bxs, 0, 0, fmt='xyxy'),
                         f'image {path or k}', 'are skipped as empty_box')
            out.append(
                _Item(k, None if path else inp, path, k, bxs,
                      list(range(len(bxs))), [None] * len(bxs)))
        return out

    def _json_item(self,
                   index,
                   k: int,
                   path: Optional[str],
                   positions,
                   dets=None) -> _Item:
        """The item of image ``k`` of a json: its annotations (crowd ones
        too, in input order) or its detections ``(xyxy, ids)``."""
        e = index.images[k]
        if dets is not None:
            xyxy, ids = dets.get(e.id, (np.zeros((0, 4)), []))
            reasons, gts = [None] * len(ids), None
        else:
            anns = index.annotations
            xyxy = _xyxy(parse_boxes([anns[p] for p in positions]))
            ids = [anns[p]['id'] for p in positions]
            reasons = [
                'crowd' if index.crowd[p] else index.skip_reason(p)
                for p in positions
            ]
            gts = [anns[p].get('segmentation') for p in positions]
        return _Item(k, None, path, e.id, xyxy, ids, reasons, gts, e.problem,
                     (e.height, e.width), True)

    def _items_from_coco(self, ann_file: str, boxes, img_root) -> list:
        index = index_coco(ann_file, need_categories=False)
        if not isinstance(boxes, str):
            _warn_format(index.format_doubt(), ann_file,
                         'are clipped to their image')
        root = osp.dirname(ann_file) if img_root is None else img_root
        dets = _detections_by_image(boxes, index) if isinstance(boxes, str) \
            else None
        members = _positions_by_image(index)
        return [
            self._json_item(
                index, k,
                osp.join(root, e.file_name) if e.file_name else None,
                members[k], dets) for k, e in enumerate(index.images)
        ]

    def _items_matched(self, inputs: list, ann_file: str) -> list:
        index = index_coco(ann_file, need_categories=False)
        _warn_format(index.format_doubt(), ann_file,
                     'are clipped to their image')
        members = _positions_by_image(index)
        by_name = {}
        for k, e in enumerate(index.images):
            if e.file_name:
                by_name[osp.basename(e.file_name)] = k
        out = []
        for inp in inputs:
            if not isinstance(inp, str):
                raise ValueError('boxes from a json are matched to images by '
                                 'file name: give image paths')
            k = by_name.get(osp.basename(inp))
            if k is None:
                raise ValueError(f'{ann_file} has no image named '
                                 f'{osp.basename(inp)}')
            out.append(self._json_item(index, k, inp, members[k]))
        return out

    # ------------------------------------------------------------ outputs
    def visualize(self,
                  inputs: list,
                  preds: list,
                  show: bool = False,
                  wait_time: float = 0,
                  draw_gt: bool = False,
                  out_dir: str = '') -> Optional[List[np.ndarray]]:
        """Pictures of drawable predictions (:meth:`_ImageResult.drawable`,
        None for an image that was not read)."""
        if self.visualizer is None or (not show and not out_dir):
            return None
        pictures = []
        for k, sample in zip(inputs, preds):
            if sample is None:
                pictures.append(None)
                continue
            name = _name(sample.get('img_path'), k)
            out_file = osp.join(out_dir, 'vis', name + '.png') \
                if out_dir else None
            pictures.append(
                self.visualizer.draw_box_masks(
                    sample,
                    draw_gt=draw_gt,
                    show=show,
                    wait_time=wait_time,
                    out_file=out_file))
        return pictures

    def postprocess(self,
                    preds: list,
                    visualization=None,
                    return_datasamples: bool = False,
                    mask_format: str = 'array',
                    return_logits: bool = False,
                    no_save_pred: bool = True) -> Dict:
        """The results of every image (already joined, see
        :meth:`__call__`)."""
        return dict(predictions=preds, visualization=visualization)

    def __call__(self,
                 inputs,
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 out_dir: str = '',
                 **kwargs) -> dict:
        """Predict image after image, each a chunk of boxes at a time; a
        chunk's probabilities become masks (RLEs with ``mask_format='rle'``)
        before the next chunk is cropped."""
        pre, fwd, vis, post = self._dispatch_kwargs(out_dir=out_dir, **kwargs)
        mask_format = post.get('mask_format', 'array')
        if mask_format not in ('array', 'rle'):
            raise ValueError(f"mask_format must be 'array' or 'rle', got "
                             f'{mask_format!r}')
        draw = self.visualizer is not None and bool(
            vis.get('show') or vis.get('out_dir'))
        images = self.preprocess(
            self._inputs_to_list(inputs), batch_size=batch_size, **pre)
        if self.show_progress:
            from rich.progress import track
            images = track(images, description='Inference')
        preds, samples, pictures, refiners = [], [], [], {}
        for (item, img, shape, reasons, clipped), batches in images:
            acc = _ImageResult(item, img, shape, reasons, clipped, mask_format,
                               bool(post.get('return_logits')), draw)
            for sels, data in batches:
                for sel, sample in zip(sels, self.forward(data, **fwd)):
                    if return_datasamples:
                        samples.append(sample)
                    else:
                        acc.add(sel, sample.to_dict(), refiners)
            preds.append(acc.result())
            if draw:
                pictures += self.visualize([item.index], [acc.drawable()],
                                           **vis)
        if return_datasamples:
            return dict(predictions=samples, visualization=None)
        out = self.postprocess(preds, pictures or None, **post)
        if out_dir:
            _save_predictions(out['predictions'], out_dir)
        return out

    def _dispatch_kwargs(self, out_dir: str = '', **kwargs):
        pre, fwd, vis, post = super()._dispatch_kwargs(**kwargs)
        vis['out_dir'] = out_dir
        return pre, fwd, vis, post


def _name(path: Optional[str], k: int) -> str:
    return osp.splitext(osp.basename(path))[0] if path else f'{k:08d}'


def _ndim(boxes) -> int:
    try:
        return np.ndim(boxes)
    except ValueError:  # rows of different lengths: one image's boxes
        return 2


def _warn_format(doubt, where: str, then: str) -> None:
    """Warn when boxes look like another format than the one expected
    (:meth:`~mmboxcaseg.structures.coco_index.BoxFormatDoubt.mistake`):
    the masks would be those of other boxes."""
    mistake = doubt.mistake()
    if mistake:
        warnings.warn(f'{where}: {mistake}; they {then}', stacklevel=2)


def _xyxy(xywh: np.ndarray) -> np.ndarray:
    return np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)


def _save_predictions(preds: list, out_dir: str) -> None:
    """``<out_dir>/preds/<name>.json`` of each image (masks as RLEs)."""
    os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
    for k, res in enumerate(preds):
        masks = res['masks']
        if not isinstance(masks, list):
            masks = encode_masks(masks)
        with open(
                osp.join(out_dir, 'preds',
                         _name(res['img_path'], k) + '.json'), 'w') as f:
            json.dump(
                dict(
                    img_path=res['img_path'],
                    img_id=res['img_id'],
                    ann_ids=res['ann_ids'],
                    boxes=[[None if np.isnan(v) else v for v in b]
                           for b in res['boxes'].tolist()],
                    scores=res['scores'].tolist(),
                    masks=masks,
                    skipped=res['skipped']), f)


def _positions_by_image(index) -> List[np.ndarray]:
    """Positions (in ``annotations``) of each image's annotations, crowd
    ones too, in input order."""
    order = np.argsort(index.ann_image, kind='stable')
    bounds = np.searchsorted(index.ann_image[order],
                             np.arange(len(index.images) + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _detections_by_image(path: str, index) -> dict:
    """A detector's results json -> ``{image_id: ((N, 4) xyxy, ids)}``;
    a detection's id is its ``id``, else its position in the file; a
    ``bbox`` that is not 4 numbers is a NaN row (``bad_box``)."""
    try:
        with open(path) as f:
            dets = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f'{path}: cannot read a detections json ({e})') \
            from None
    if isinstance(dets, dict) and 'annotations' in dets:
        dets = dets['annotations']
    if not isinstance(dets, list):
        raise ValueError(f'{path}: expected a list of detections '
                         '(image_id, bbox, score)')
    known = {e.id for e in index.images}
    for k, d in enumerate(dets):
        if not isinstance(d, dict) or not isinstance(
                d.get('image_id'), (int, str)) or 'bbox' not in d:
            raise ValueError(f'{path}: detection {k} needs an image_id and '
                             'a bbox')
    xyxy = _xyxy(parse_box_list([d['bbox'] for d in dets]))
    out: dict = {}
    for k, d in enumerate(dets):
        out.setdefault(d['image_id'], []).append(k)
    lost = sum(len(v) for i, v in out.items() if i not in known)
    if lost:
        print_log(
            f'{path}: {lost} detections name images that are not in '
            f'{index.ann_file}: they get no result',
            logger='current',
            level=logging.WARNING)
    return {
        i: (xyxy[v], [dets[k].get('id', k) for k in v])
        for i, v in out.items()
    }


def find_model(name: str):
    """``(config path, weights or None)`` of a model of model-index.yml."""
    from mmengine.fileio import load
    package = osp.dirname(osp.dirname(osp.realpath(__file__)))
    candidates = [
        osp.join(osp.dirname(package), 'model-index.yml'),  # a checkout
        osp.join(package, '.mim', 'model-index.yml')  # an installed package
    ]
    for index_path in candidates:
        if not osp.isfile(index_path):
            continue
        # paths in the metafiles are relative to the repository root, which
        # the .mim links point into
        base = osp.dirname(osp.realpath(index_path))
        for meta in load(index_path).get('Import', []):
            for m in load(osp.join(base, meta)).get('Models', []):
                if m.get('Name') == name:
                    weights = m.get('Weights')
                    if weights and not osp.isabs(weights):
                        weights = osp.join(base, weights)
                    return osp.join(base, m['Config']), weights
    raise ValueError(f'{name!r} is neither a config file nor a model name of '
                     'model-index.yml (`mim search mmboxcaseg` lists them)')


def segment_boxes(model,
                  image,
                  boxes,
                  channel_order: str = 'bgr',
                  return_scores: bool = False):
    """Full-image masks of the boxes of one image.

    The one-line helper on top of :class:`BoxCasegInferencer`.

    Args:
        model (BoxCaseg): the segmentor (e.g. from :func:`init_segmentor`).
        image (str | Path | np.ndarray | PIL.Image.Image): image file, or an
            ``H x W`` / ``H x W x 3`` / ``H x W x 4`` uint8 array.
        boxes: ``(N, 4)`` (or ``(4,)``) xyxy boxes in image pixels; a box
            that is not 4 finite numbers gets an empty mask (``bad_box``);
            ``x2 < x1`` or ``y2 < y1`` (``x, y, w, h`` boxes?) an empty
            mask and a ``UserWarning`` naming the likely mistake.
        channel_order (str): ``'bgr'`` (as OpenCV loads) or ``'rgb'``.
        return_scores (bool): also return the ``(N,)`` mask scores.

    Returns:
        np.ndarray: ``(N, H, W)`` bool, False outside each box (and all
        False for a box that is empty or outside the image); with
        ``return_scores`` a tuple ``(masks, scores)``.
    """
    inferencer = BoxCasegInferencer(model)
    if isinstance(image, Path):
        image = str(image)
    out = inferencer(
        image, boxes=boxes, channel_order=channel_order)['predictions'][0]
    return (out['masks'], out['scores']) if return_scores else out['masks']


__all__ = [
    'BoxCasegInferencer', 'as_bgr', 'as_boxes', 'find_model', 'segment_boxes'
]
