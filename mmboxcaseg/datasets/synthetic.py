"""Seeded synthetic data for the no-download BoxCaseg demo.

Two sources, drawn from the same five shape families
(:data:`SYNTHETIC_CLASSES`) with textured objects on textured, cluttered
backgrounds:

* **salient images** (DUTS-TR stand-in): one large object per image and its
  exact binary mask;
* **box-annotated scenes** (COCO stand-in): 2-5 objects per scene, painted
  from the largest to the smallest so that small objects occlude large ones,
  often inside their boxes (the case "smaller object better" merging is
  for). Each object's hidden mask is its *visible* part; the box is the tight
  box of that mask.

Objects are non-rectangular (a box-fill mask scores clearly below 100 IoU) and
their colour differs from the background, so an edge-aware segmentor can do
much better than a box fill. Every image has its own generator seeded by
``(seed, stream, index)``: the same seed gives byte-identical files, and a
sample does not depend on how many others are drawn.

Layout written by :func:`generate_synthetic_dataset`::

    DIR/synthetic_meta.json                 what was generated, with which seed
    DIR/salient/images/000000.jpg ...       salient images (BGR JPEG)
    DIR/salient/masks/000000.png ...        their masks, 0/255
    DIR/scenes/images/train_000000.jpg ...  scenes (val_000000.jpg for val)
    DIR/scenes/annotations.json             train scenes, COCO json with RLE
    DIR/scenes/annotations_val.json         val scenes
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from mmboxcaseg.structures import masks_to_coco_annotations

SYNTHETIC_CLASSES = ('ellipse', 'star', 'blob', 'polygon', 'crescent')
SYNTHETIC_PALETTE = [(220, 20, 60), (255, 215, 0), (0, 130, 200),
                     (60, 180, 75), (145, 30, 180)]
META_FILE = 'synthetic_meta.json'
_STREAMS = {'salient': 0, 'train': 1, 'val': 2}
_SMOOTH_VERTICES = 96
_MIN_CONTRAST = 90.0  # min L2 distance (0-255 RGB) object vs background


def shape_outline(rng: np.random.Generator,
                  shape: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Outline of one random member of a shape family, in unit coordinates.

    Returns:
        tuple: ``fill`` (K, 2) float polygon inside ``[-1, 1]^2`` and ``cut``
        (M, 2) polygon removed from it (``None`` for all but ``crescent``).
    """
    t = np.linspace(0.0, 2 * np.pi, _SMOOTH_VERTICES, endpoint=False)
    cut = None
    if shape in ('ellipse', 'crescent'):
        r = np.ones_like(t)
    elif shape == 'star':
        n = int(rng.integers(4, 8))
        t = np.arange(2 * n) * np.pi / n
        r = np.where(np.arange(2 * n) % 2 == 0, 1.0, rng.uniform(0.45, 0.7))
    elif shape == 'blob':  # smooth, irregular: a few random harmonics
        k = np.arange(2, 6)[:, None]
        amp = rng.uniform(0.05, 0.3, (4, 1)) * 2 / k
        phase = rng.uniform(0, 2 * np.pi, (4, 1))
        r = 1 + (amp * np.cos(k * t[None] + phase)).sum(0)
    elif shape == 'polygon':  # sharp, often non-convex "rock"
        n = int(rng.integers(5, 10))
        t = (np.arange(n) + rng.uniform(-0.35, 0.35, n)) * 2 * np.pi / n
        r = rng.uniform(0.5, 1.0, n)
    else:
        raise ValueError(f'unknown shape family {shape!r}; expected one of '
                         f'{SYNTHETIC_CLASSES}')
    r = r / r.max()
    fill = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    if shape == 'crescent':
        tc = np.linspace(0.0, 2 * np.pi, _SMOOTH_VERTICES, endpoint=False)
        rc = rng.uniform(0.65, 0.95)
        cut = np.stack([rc * np.cos(tc), rc * np.sin(tc)], axis=1)
        cut[:, 0] += rng.uniform(0.5, 0.85)
    return fill, cut


def _transform(pts: np.ndarray, radii: np.ndarray, angle: float,
               centre: np.ndarray) -> np.ndarray:
    """Scale (K, 2) unit points by ``radii``, rotate, then translate."""
    c, s = np.cos(angle), np.sin(angle)
    return (pts * radii) @ np.array([[c, s], [-s, c]]) + centre


def _render(shape_pts: Tuple[np.ndarray, Optional[np.ndarray]],
            hw: Tuple[int, int]) -> np.ndarray:
    """Rasterise ``(fill, cut)`` image-coordinate polygons: (H, W) bool."""
    fill, cut = shape_pts
    mask = np.zeros(hw, np.uint8)
    cv2.fillPoly(mask, [np.round(fill * 16).astype(np.int32)], 1, cv2.LINE_8,
                 4)
    if cut is not None:
        cv2.fillPoly(mask, [np.round(cut * 16).astype(np.int32)], 0,
                     cv2.LINE_8, 4)
    return mask.astype(bool)


def _smooth_noise(rng: np.random.Generator, hw: Tuple[int, int],
                  cells: int) -> np.ndarray:
    """Low-frequency colour noise, (H, W, 3) float32, roughly N(0, 1)."""
    small = rng.standard_normal((cells, cells, 3)).astype(np.float32)
    return cv2.resize(small, (hw[1], hw[0]), interpolation=cv2.INTER_CUBIC)


def _object_texture(rng: np.random.Generator, hw: Tuple[int, int],
                    colour: np.ndarray) -> np.ndarray:
    """Textured object appearance over the whole image, (H, W, 3) float32."""
    tex = colour + rng.uniform(8, 25) * _smooth_noise(rng, hw,
                                                      int(rng.integers(3, 8)))
    if rng.random() < 0.4:  # stripes
        yy, xx = np.mgrid[:hw[0], :hw[1]].astype(np.float32)
        phi = rng.uniform(0, np.pi)
        period = rng.uniform(5, 16)
        wave = np.sin(2 * np.pi * (xx * np.cos(phi) + yy * np.sin(phi)) /
                      period)
        tex = tex + rng.uniform(10, 30) * wave[..., None]
    return tex


def _background(rng: np.random.Generator,
                hw: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Textured background with unannotated clutter (lines, rectangles).

    Returns:
        tuple: (H, W, 3) float32 image and its (3,) base colour.
    """
    colour = rng.uniform(0, 255, 3).astype(np.float32)
    img = (
        colour +
        rng.uniform(10, 30) * _smooth_noise(rng, hw, int(rng.integers(2, 5))) +
        rng.uniform(5, 15) * _smooth_noise(rng, hw, int(rng.integers(8, 17))))
    h, w = hw
    for _ in range(int(rng.integers(2, 7))):
        p0 = rng.uniform(0, 1, 2) * (w, h)
        p1 = rng.uniform(0, 1, 2) * (w, h)
        clutter = np.clip(colour + rng.normal(0, 50, 3), 0, 255)
        if rng.random() < 0.6:
            cv2.line(img, tuple(int(v) for v in p0), tuple(int(v) for v in p1),
                     clutter.tolist(), int(rng.integers(1, 4)))
        else:
            p1 = p0 + rng.uniform(0.03, 0.15, 2) * (w, h)
            cv2.rectangle(img, tuple(int(v) for v in p0),
                          tuple(int(v) for v in p1), clutter.tolist(), -1)
    return img, colour


def _contrasting_colour(rng: np.random.Generator,
                        background: np.ndarray) -> np.ndarray:
    """A random colour at least ``_MIN_CONTRAST`` away from ``background``."""
    for _ in range(50):
        colour = rng.uniform(0, 255, 3).astype(np.float32)
        if np.linalg.norm(colour - background) >= _MIN_CONTRAST:
            return colour
    return (255 - background).astype(np.float32)


def _finish(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Lighting gradient, slight blur (soft edges) and sensor noise: uint8."""
    h, w = img.shape[:2]
    gx, gy = rng.uniform(-0.25, 0.25, 2)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    light = 1 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5)
    img = cv2.GaussianBlur(img * light[..., None], (3, 3), 0.7)
    img = img + rng.normal(0, rng.uniform(2, 8), img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _random_shape(rng: np.random.Generator, radius: float,
                  shape: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """A shape of ``radius`` pixels, random aspect and angle, centred at 0."""
    radii = radius * np.array([1.0, rng.uniform(0.6, 1.0)])
    angle = rng.uniform(0, 2 * np.pi)
    fill, cut = shape_outline(rng, shape)
    zero = np.zeros(2)
    return (_transform(fill, radii, angle, zero),
            None if cut is None else _transform(cut, radii, angle, zero))


def _centre_range(fill: np.ndarray,
                  hw: Tuple[int, int],
                  within: Optional[np.ndarray] = None) -> np.ndarray:
    """Centres (lo_x, lo_y, hi_x, hi_y) keeping ``fill`` inside the image
    (and, if given, the centre inside the box ``within`` x0, y0, x1, y1)."""
    lo = -fill.min(0)
    hi = np.array([hw[1], hw[0]]) - fill.max(0)
    hi = np.maximum(hi, lo)
    if within is not None:
        lo_w = np.maximum(lo, within[:2])
        hi_w = np.minimum(hi, within[2:])
        if np.all(lo_w <= hi_w):
            lo, hi = lo_w, hi_w
    return np.concatenate([lo, hi])


def generate_salient_sample(rng: np.random.Generator,
                            size: int = 256) -> Tuple[np.ndarray, np.ndarray]:
    """One salient image: a single large textured object.

    Returns:
        tuple: BGR image (size, size, 3) uint8 and mask (size, size) uint8
        with values 0/255.
    """
    hw = (size, size)
    img, bg_colour = _background(rng, hw)
    shape = SYNTHETIC_CLASSES[int(rng.integers(len(SYNTHETIC_CLASSES)))]
    fill, cut = _random_shape(rng, rng.uniform(0.22, 0.4) * size, shape)
    lo_hi = _centre_range(fill, hw)
    mid = np.clip(size / 2 + rng.uniform(-0.12, 0.12, 2) * size, lo_hi[:2],
                  lo_hi[2:])
    mask = _render((fill + mid, None if cut is None else cut + mid), hw)
    tex = _object_texture(rng, hw, _contrasting_colour(rng, bg_colour))
    img[mask] = tex[mask]
    return _finish(rng, img), mask.astype(np.uint8) * 255


def generate_scene(
        rng: np.random.Generator,
        size: int = 256,
        num_objects: Tuple[int, int] = (2, 5),
        inside_prob: float = 0.5,
        min_visible: float = 0.65,
        min_area: int = 40,
        max_tries: int = 20) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One box-annotated scene with overlapping objects.

    Objects are drawn from the largest to the smallest; with probability
    ``inside_prob`` an object's centre is put inside the box of an earlier
    (larger) one. A placement is retried when it would leave an earlier
    object with less than ``min_visible`` of its pixels visible; an object
    that finds no place in ``max_tries`` is left out (rare).

    Returns:
        tuple: BGR image (size, size, 3) uint8, visible masks (N, size, size)
        bool (each with >= ``min_area`` pixels) and category ids (N,) int64
        in ``1..5`` (``SYNTHETIC_CLASSES`` order).
    """
    hw = (size, size)
    img, bg_colour = _background(rng, hw)
    n = int(rng.integers(num_objects[0], num_objects[1] + 1))
    radii = np.sort(rng.uniform(0.07, 0.3, n))[::-1] * size
    full = np.zeros((0, ) + hw, bool)
    visible = np.zeros((0, ) + hw, bool)
    boxes, cats = [], []
    for radius in radii:
        cat = int(rng.integers(len(SYNTHETIC_CLASSES)))
        fill, cut = _random_shape(rng, radius, SYNTHETIC_CLASSES[cat])
        within = None
        if boxes and rng.random() < inside_prob:
            within = boxes[int(rng.integers(len(boxes)))]
        lo_hi = _centre_range(fill, hw, within)
        for _ in range(max_tries):
            centre = rng.uniform(lo_hi[:2], lo_hi[2:])
            mask = _render(
                (fill + centre, None if cut is None else cut + centre), hw)
            left = (visible & ~mask).sum((1, 2))
            if mask.sum() >= min_area and np.all(
                    left >= np.maximum(min_visible *
                                       full.sum((1, 2)), min_area)):
                break
        else:
            continue  # no room for this object: leave it out
        ys, xs = np.nonzero(mask)
        boxes.append(
            np.array(
                [xs.min(), ys.min(),
                 xs.max() + 1, ys.max() + 1], np.float64))
        full = np.concatenate([full, mask[None]])
        visible = np.concatenate([visible & ~mask, mask[None]])
        cats.append(cat + 1)
        tex = _object_texture(rng, hw, _contrasting_colour(rng, bg_colour))
        img[mask] = tex[mask]
    return _finish(rng, img), visible, np.asarray(cats, np.int64)


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    """Create ``out_dir``; refuse to mix with an earlier generation unless
    ``overwrite``, and then only remove folders this generator wrote."""
    parts = [osp.join(out_dir, p) for p in ('salient', 'scenes', META_FILE)]
    present = [p for p in parts if osp.exists(p)]
    if present:
        if not overwrite:
            raise FileExistsError(
                f'{out_dir} already holds {", ".join(present)}; pass '
                f'overwrite=True (--overwrite) to replace a synthetic set, '
                f'or choose another directory')
        if not osp.isfile(osp.join(out_dir, META_FILE)):
            raise FileExistsError(
                f'{out_dir} has {", ".join(present)} but no {META_FILE}: it '
                f'was not written by this generator, refusing to delete it')
        for p in present:
            shutil.rmtree(p) if osp.isdir(p) else os.remove(p)
    for sub in ('salient/images', 'salient/masks', 'scenes/images'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)


def _write_jpg(path: str, img: np.ndarray, quality: int = 92) -> None:
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise IOError(f'could not encode {path}')
    buf.tofile(path)


class _Progress:
    """MMEngine's progress bar on a terminal; in a log file (not a tty) one
    line per tenth of the work instead of a line per image."""

    def __init__(self, total: int) -> None:
        import sys
        self.total, self.done, self.stream = total, 0, sys.stdout
        self.bar = None
        if self.stream.isatty():
            from mmengine.utils import ProgressBar
            self.bar = ProgressBar(total)

    def update(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update()
        elif self.done * 10 // self.total > (self.done - 1) * 10 // self.total:
            print(f'synthetic: {self.done}/{self.total} images', flush=True)


def generate_synthetic_dataset(out_dir: str,
                               seed: int = 0,
                               num_salient: int = 300,
                               num_scenes: int = 200,
                               num_val_scenes: int = 50,
                               size: int = 256,
                               num_objects: Tuple[int, int] = (2, 5),
                               overwrite: bool = False,
                               show_progress: bool = False) -> Dict:
    """Write the synthetic salient set and train/val scenes (see module doc).

    Returns:
        dict: ``salient_images``, ``salient_masks``, ``scene_images``,
        ``train_ann``, ``val_ann`` (paths) and counts ``num_salient``,
        ``num_scenes``, ``num_val_scenes``, ``num_instances``,
        ``num_val_instances``.
    """
    if size < 32:
        raise ValueError(f'size must be >= 32, got {size}')
    if not 1 <= num_objects[0] <= num_objects[1]:
        raise ValueError(f'num_objects must be (lo, hi) with 1 <= lo <= hi, '
                         f'got {num_objects}')
    if min(num_salient, num_scenes, num_val_scenes) < 0:
        raise ValueError('image counts must be >= 0')
    if seed < 0:
        raise ValueError(f'seed must be >= 0, got {seed}')
    _prepare_out_dir(out_dir, overwrite)
    paths = {
        'salient_images': osp.join(out_dir, 'salient', 'images'),
        'salient_masks': osp.join(out_dir, 'salient', 'masks'),
        'scene_images': osp.join(out_dir, 'scenes', 'images'),
        'train_ann': osp.join(out_dir, 'scenes', 'annotations.json'),
        'val_ann': osp.join(out_dir, 'scenes', 'annotations_val.json'),
    }
    total = num_salient + num_scenes + num_val_scenes
    bar = _Progress(total) if show_progress and total else None

    for i in range(num_salient):
        rng = np.random.default_rng([seed, _STREAMS['salient'], i])
        img, mask = generate_salient_sample(rng, size)
        _write_jpg(osp.join(paths['salient_images'], f'{i:06d}.jpg'), img)
        ok, buf = cv2.imencode('.png', mask)
        buf.tofile(osp.join(paths['salient_masks'], f'{i:06d}.png'))
        bar is not None and bar.update()

    counts = {'num_salient': num_salient}
    for split, num in (('train', num_scenes), ('val', num_val_scenes)):
        images, anns = [], []
        for i in range(num):
            rng = np.random.default_rng([seed, _STREAMS[split], i])
            img, masks, cats = generate_scene(rng, size, num_objects)
            name = f'{split}_{i:06d}.jpg'
            _write_jpg(osp.join(paths['scene_images'], name), img)
            images.append({
                'id': i + 1,
                'file_name': name,
                'height': size,
                'width': size
            })
            anns += masks_to_coco_annotations(masks, cats, i + 1,
                                              len(anns) + 1)
            bar is not None and bar.update()
        coco = {
            'info': {
                'description': f'mmboxcaseg synthetic scenes, {split}',
                'seed': seed
            },
            'images':
            images,
            'annotations':
            anns,
            'categories': [{
                'id': k + 1,
                'name': c,
                'supercategory': 'shape'
            } for k, c in enumerate(SYNTHETIC_CLASSES)],
        }
        key = 'train_ann' if split == 'train' else 'val_ann'
        with open(paths[key], 'w') as f:
            json.dump(coco, f, separators=(',', ':'))
        prefix = 'num_scenes' if split == 'train' else 'num_val_scenes'
        counts[prefix] = num
        counts['num_instances' if split ==
               'train' else 'num_val_instances'] = len(anns)
    meta = dict(seed=seed, size=size, num_objects=list(num_objects), **counts)
    with open(osp.join(out_dir, META_FILE), 'w') as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    if bar is not None and bar.bar is not None:
        print()  # end the terminal bar's line
    return {**paths, **counts}
