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
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import mmcv
import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.fileio import list_dir_or_file
from mmengine.infer import BaseInferencer

from mmboxcaseg.structures import encode_masks, paste_masks
from mmboxcaseg.structures.coco_index import (SKIP_REASONS, box_skip_codes,
                                              index_coco)

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def as_bgr(image, channel_order: str = 'bgr') -> np.ndarray:
    """An ``(H, W, 3)`` uint8 BGR copy of an image array or PIL image.

    Gray ``(H, W)`` / ``(H, W, 1)`` images are repeated to 3 channels,
    RGBA / BGRA lose their alpha; ``channel_order='rgb'`` says the array is
    RGB (PIL images always are).
    """
    if hasattr(image, 'convert') and hasattr(image, 'mode'):  # PIL
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
    """``(N, 4)`` float64 xyxy boxes; a ``(4,)`` array is one box."""
    try:
        arr = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{where}: boxes must be numbers, got '
                         f'{type(boxes).__name__}') from None
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f'{where}: expected (N, 4) xyxy boxes, got shape '
                         f'{arr.shape}')
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f'{where}, box {j}: not 4 finite numbers: '
                         f'{arr[j].tolist()}')
    return arr


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
        refine (bool, optional): switch GrabCut refinement on / off
            (default: the config's ``model.test_cfg.refine``).
        show_progress (bool): a progress bar over the batches.

    Call::

        result = inferencer(inputs, boxes=None, img_root=None,
                            batch_size=1, mask_format='array',
                            return_logits=False, out_dir='',
                            draw_gt=False, show=False)

    ``result['predictions']``: per image a dict with ``img_path`` (or
    None), ``boxes`` (``(N, 4)`` xyxy as clipped), ``masks`` (``(N, H, W)``
    bool, or a list of COCO RLEs with ``mask_format='rle'``), ``scores``
    (``(N,)``: the mean certainty ``|2p - 1|`` of the network over the box,
    0 for a skipped box; see docs/model_zoo.md for how it ranks masks),
    ``skipped`` (``(N,)`` reason or None) and with ``return_logits`` the
    crop-resolution ``logits`` of the valid boxes. ``out_dir`` writes
    ``preds/<name>.json`` and ``vis/<name>.png``.
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
                 show_progress: bool = False) -> None:
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
                    'weights=CKPT (random weights give meaningless masks)')
            if weights is None and not osp.isfile(meta_weights):
                raise FileNotFoundError(
                    f'the weights of {name!r}, {meta_weights}, do not exist '
                    'yet: `make model` trains and writes them, or pass '
                    'weights=CKPT')
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
        from .inference import init_segmentor
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
        items = self._items(inputs, boxes, img_root)
        chunk = []
        for k, (image, path, img_id, bxs, gts) in enumerate(items):
            img = mmcv.imread(path) if image is None else as_bgr(
                image, channel_order)
            if img is None:
                raise FileNotFoundError(f'cannot read the image {path}')
            h, w = img.shape[:2]
            codes, clipped, _ = box_skip_codes(bxs, h, w)
            results = dict(
                img=img,
                img_path=path,
                img_id=img_id if img_id is not None else k,
                sample_idx=k,
                ori_shape=(h, w),
                height=h,
                width=w,
                problem=None,
                boxes=clipped,
                input_boxes=bxs,
                skip=codes,
                ann_ids=list(range(len(bxs))),
                category_ids=[0] * len(bxs))
            if gts is not None:
                results['segmentations'] = gts
            chunk.append(self.pipeline(results))
            if len(chunk) == batch_size:
                yield self.collate_fn(chunk)
                chunk = []
        if chunk:
            yield self.collate_fn(chunk)

    def _items(self, inputs: list, boxes, img_root) -> List[tuple]:
        """``(image or None, path, image id, (N, 4) boxes, GT or None)``."""
        if len(inputs) == 1 and isinstance(inputs[0], str) and \
                inputs[0].endswith('.json'):
            return self._items_from_coco(inputs[0], boxes, img_root)
        if isinstance(boxes, str):
            return self._items_matched(inputs, boxes)
        if boxes is None:
            raise ValueError('give the boxes: an (N, 4) array per image, or '
                             'a COCO / detector json')
        if len(inputs) == 1 and not (isinstance(boxes, (list, tuple))
                                     and len(boxes) == 1
                                     and np.ndim(boxes[0]) == 2):
            boxes = [boxes]
        if len(boxes) != len(inputs):
            raise ValueError(f'{len(inputs)} images but {len(boxes)} box '
                             'arrays')
        out = []
        for k, (inp, b) in enumerate(zip(inputs, boxes)):
            path = inp if isinstance(inp, str) else None
            where = f'image {path or k}'
            out.append((None if path else inp, path, None, as_boxes(b, where),
                        None))
        return out

    def _items_from_coco(self, ann_file: str, boxes, img_root) -> list:
        index = index_coco(ann_file, verbose=False, need_categories=False)
        root = osp.dirname(ann_file) if img_root is None else img_root
        dets = _detections_by_image(boxes) if isinstance(boxes, str) \
            else None
        out = []
        for e in index.images:
            if e.problem is not None or not e.file_name:
                continue
            path = osp.join(root, e.file_name)
            if dets is not None:
                out.append((None, path, e.id,
                            np.asarray(dets.get(e.id, np.zeros((0, 4)))),
                            None))
                continue
            pos = [p for p in e.ann_index if index.skip[p] == 0]
            anns = index.annotations
            xywh = np.array([anns[p]['bbox'] for p in pos],
                            dtype=np.float64).reshape(-1, 4)
            xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]],
                                  axis=1)
            out.append((None, path, e.id, xyxy,
                        [anns[p].get('segmentation') for p in pos]))
        return out

    def _items_matched(self, inputs: list, ann_file: str) -> list:
        index = index_coco(ann_file, verbose=False, need_categories=False)
        by_name = {}
        for e in index.images:
            if e.file_name:
                by_name[osp.basename(e.file_name)] = e
        out = []
        for inp in inputs:
            if not isinstance(inp, str):
                raise ValueError('boxes from a json are matched to images by '
                                 'file name: give image paths')
            e = by_name.get(osp.basename(inp))
            if e is None:
                raise ValueError(f'{ann_file} has no image named '
                                 f'{osp.basename(inp)}')
            pos = [p for p in e.ann_index if index.skip[p] == 0]
            xyxy = index.boxes[pos] if pos else np.zeros((0, 4))
            out.append((None, inp, e.id, xyxy, None))
        return out

    # ------------------------------------------------------------ outputs
    def visualize(self,
                  inputs: list,
                  preds: list,
                  show: bool = False,
                  wait_time: float = 0,
                  draw_gt: bool = False,
                  out_dir: str = '') -> Optional[List[np.ndarray]]:
        if self.visualizer is None or (not show and not out_dir):
            return None
        pictures = []
        for k, sample in enumerate(preds):
            name = _name(sample.metainfo.get('img_path'), k)
            out_file = osp.join(out_dir, 'vis', name + '.png') \
                if out_dir else None
            pictures.append(
                self.visualizer.draw_box_masks(
                    sample.to_dict(),
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
                    no_save_pred: bool = True,
                    out_dir: str = '') -> Dict:
        from mmboxcaseg.models.segmentors import sample_region_masks
        if mask_format not in ('array', 'rle'):
            raise ValueError(f"mask_format must be 'array' or 'rle', got "
                             f'{mask_format!r}')
        if return_datasamples:
            return dict(predictions=preds, visualization=visualization)
        results = []
        refiners: dict = {}
        for k, sample in enumerate(preds):
            d = sample.to_dict()
            h, w = d['ori_shape']
            valid = np.asarray(d['valid'], dtype=bool)
            masks, scores, _ = sample_region_masks(d, refiners)
            full = np.zeros((len(valid), h, w), dtype=bool)
            full[valid] = paste_masks(masks, d['regions'], (h, w))
            all_scores = np.zeros(len(valid))
            all_scores[valid] = scores
            skipped = [
                None if ok else
                (SKIP_REASONS[c - 1] if c else 'image_unreadable')
                for ok, c in zip(valid, d['skip'])
            ]
            res = dict(
                img_path=d.get('img_path'),
                boxes=np.asarray(d['input_boxes'], dtype=np.float64),
                masks=full if mask_format == 'array' else encode_masks(full),
                scores=all_scores,
                skipped=skipped)
            if return_logits and 'pred_probs' in d:
                p = np.clip(d['pred_probs'], 1e-6, 1 - 1e-6)
                res['logits'] = np.log(p) - np.log1p(-p)
            results.append(res)
        return dict(predictions=results, visualization=visualization)

    def __call__(self, inputs, return_datasamples: bool = False,
                 batch_size: int = 1, out_dir: str = '', **kwargs) -> dict:
        out = super().__call__(
            inputs,
            return_datasamples=return_datasamples,
            batch_size=batch_size,
            out_dir=out_dir,
            **kwargs)
        if out_dir and not return_datasamples:
            os.makedirs(osp.join(out_dir, 'preds'), exist_ok=True)
            for k, res in enumerate(out['predictions']):
                name = _name(res['img_path'], k)
                masks = res['masks'] if isinstance(res['masks'], list) \
                    else encode_masks(res['masks'])
                with open(osp.join(out_dir, 'preds', name + '.json'),
                          'w') as f:
                    json.dump(
                        dict(
                            img_path=res['img_path'],
                            boxes=res['boxes'].tolist(),
                            scores=res['scores'].tolist(),
                            masks=masks,
                            skipped=res['skipped']), f)
        return out

    def _dispatch_kwargs(self, out_dir: str = '', **kwargs):
        pre, fwd, vis, post = super()._dispatch_kwargs(**kwargs)
        vis['out_dir'] = out_dir
        return pre, fwd, vis, post


def _name(path: Optional[str], k: int) -> str:
    return osp.splitext(osp.basename(path))[0] if path else f'{k:08d}'


def _detections_by_image(path: str, score_thr: float = 0.0) -> dict:
    """A detector's results json -> ``{image_id: (N, 4) xyxy}``."""
    with open(path) as f:
        dets = json.load(f)
    if isinstance(dets, dict) and 'annotations' in dets:
        dets = dets['annotations']
    if not isinstance(dets, list):
        raise ValueError(f'{path}: expected a list of detections '
                         '(image_id, bbox, score)')
    out: dict = {}
    for k, d in enumerate(dets):
        try:
            x, y, bw, bh = (float(v) for v in d['bbox'])
            img_id = d['image_id']
        except (KeyError, TypeError, ValueError):
            raise ValueError(f'{path}: detection {k} needs image_id and a '
                             'bbox of 4 numbers') from None
        if float(d.get('score', 1.0)) < score_thr:
            continue
        out.setdefault(img_id, []).append([x, y, x + bw, y + bh])
    return {k: np.asarray(v) for k, v in out.items()}


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


__all__ = ['BoxCasegInferencer', 'as_bgr', 'as_boxes', 'find_model']
