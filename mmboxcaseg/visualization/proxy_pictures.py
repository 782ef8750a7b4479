"""Pictures of a proxy json (the converter's ``--show-dir``): an overlay
per image and a contact sheet of the lowest-scoring masks, the ones a drop
or a score threshold would remove first."""
import json
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np

from mmboxcaseg.structures.coco_masks import decode_rle, rle_area
from mmboxcaseg.visualization.instances import draw_instances

TILE = (160, 160)  # (width, height) of a contact sheet crop
CAPTION = 28  # caption rows under a crop: score and image name
COLUMNS = 6


def lowest_scoring(anns: List[dict], k: int) -> List[dict]:
    """The ``k`` lowest-scoring non-crowd annotations with a ``score`` and
    a non-empty mask, ascending by score (then by id)."""
    ranked = [
        a for a in anns if 'score' in a and not a.get('iscrowd')
        and isinstance(a.get('segmentation'), dict)
        and isinstance(a['segmentation'].get('counts'), str)
        and rle_area(a['segmentation'])
    ]
    ranked.sort(key=lambda a: (a['score'], a.get('id', 0)))
    return ranked[:k]


def _xyxy(ann: dict) -> np.ndarray:
    x, y, w, h = ann['bbox']
    return np.array([x, y, x + w, y + h], np.float64)


def _draw(image: np.ndarray, anns: List[dict], names: Dict) -> np.ndarray:
    return draw_instances(
        image,
        np.array([decode_rle(a['segmentation']) for a in anns],
                 bool).reshape(-1, *image.shape[:2]),
        np.array([_xyxy(a) for a in anns]).reshape(-1, 4),
        scores=[a.get('score', float('nan')) for a in anns],
        names=[names.get(a.get('category_id'), '') for a in anns],
        dropped=[bool(a.get('mask_ignored')) for a in anns])


def _tile(image: np.ndarray, ann: dict, name: str) -> np.ndarray:
    """A crop around the annotation's box (some context), its mask drawn,
    with score and image name beneath."""
    h, w = image.shape[:2]
    box = _xyxy(ann)
    pad = 8 + 0.3 * max(box[2] - box[0], box[3] - box[1])
    x0, y0 = (max(int(v - pad), 0) for v in box[:2])
    x1, y1 = min(int(box[2] + pad) + 1, w), min(int(box[3] + pad) + 1, h)
    mask = decode_rle(ann['segmentation'])[y0:y1, x0:x1].astype(np.uint8)
    f = min(TILE[0] / mask.shape[1], TILE[1] / mask.shape[0])
    size = (max(round(mask.shape[1] * f), 1), max(round(mask.shape[0] * f),
                                                  1))
    crop = cv2.resize(image[y0:y1, x0:x1], size, interpolation=cv2.
                      INTER_NEAREST if f > 1 else cv2.INTER_AREA)
    mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    crop = draw_instances(crop, mask[None].astype(bool),
                          ((box - [x0, y0, x0, y0]) * f)[None],
                          dropped=[bool(ann.get('mask_ignored'))])
    tile = np.full((TILE[1] + CAPTION, TILE[0], 3), 255, np.uint8)
    tile[:size[1], :size[0]] = crop
    dropped = ' dropped' if ann.get('mask_ignored') else ''
    for row, text in enumerate((f'score {ann["score"]:.2f}{dropped}', name)):
        cv2.putText(tile, text, (2, TILE[1] + 12 + 13 * row),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return tile


def _read(img_root: str, info: dict):
    """RGB image of ``info``; None when it cannot be read or its size is
    not the json's."""
    img = cv2.imread(osp.join(img_root, info['file_name']), cv2.IMREAD_COLOR)
    if img is None or img.shape[:2] != (info['height'], info['width']):
        return None
    return np.ascontiguousarray(img[..., ::-1])


def write_proxy_pictures(proxy_json: str,
                         img_root: str,
                         show_dir: str,
                         show_max: int = 100,
                         lowest: int = 24) -> dict:
    """Write ``show_dir/<image stem>.jpg`` (every mask of the image: score,
    class name, dropped ones dashed) for the ``show_max`` lowest image ids,
    and ``show_dir/lowest_scores.jpg``: the ``lowest`` lowest-scoring masks
    of the whole json, ascending, in rows of six.

    Returns:
        dict: ``overlays`` (files written), ``lowest`` (annotation ids of
        the sheet's tiles, in order) and ``unreadable`` (image file names
        skipped: missing, unreadable or not the json's size).
    """
    with open(proxy_json) as f:
        data = json.load(f)
    names = {c.get('id'): str(c.get('name', '')) for c in
             data.get('categories') or []}
    images = {im['id']: im for im in data['images']}
    by_image: Dict = {}
    for a in data['annotations']:
        if not a.get('iscrowd') and isinstance(a.get('segmentation'), dict):
            by_image.setdefault(a['image_id'], []).append(a)
    os.makedirs(show_dir, exist_ok=True)
    unreadable, stems, written = [], set(), 0
    for img_id in sorted(images)[:max(show_max, 0)]:
        info = images[img_id]
        image = _read(img_root, info)
        if image is None:
            unreadable.append(info['file_name'])
            continue
        stem = osp.splitext(osp.basename(info['file_name']))[0]
        stem = f'{stem}_{img_id}' if stem in stems else stem
        stems.add(stem)
        cv2.imwrite(osp.join(show_dir, stem + '.jpg'),
                    _draw(image, by_image.get(img_id, []), names)[..., ::-1])
        written += 1
    low = lowest_scoring(data['annotations'], lowest)
    tiles, tiled, cache = [], [], {}
    for a in low:
        info = images[a['image_id']]
        if a['image_id'] not in cache:
            cache[a['image_id']] = _read(img_root, info)
        if cache[a['image_id']] is not None:
            tiles.append(_tile(cache[a['image_id']], a, info['file_name']))
            tiled.append(a.get('id'))
    if tiles:
        cols = min(COLUMNS, len(tiles))
        tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % cols)
        rows = [np.concatenate(tiles[r:r + cols], axis=1)
                for r in range(0, len(tiles), cols)]
        cv2.imwrite(osp.join(show_dir, 'lowest_scores.jpg'),
                    np.concatenate(rows, axis=0)[..., ::-1])
    return dict(overlays=written, lowest=tiled,
                unreadable=unreadable)
