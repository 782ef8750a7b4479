"""Read and check a COCO instance json for proxy-mask generation.

The json is read once and kept (its annotation list is also the output);
boxes are turned into one ``(A, 4)`` array and checked with array operations.
Problems that leave nothing sensible to write raise :class:`ProxyInputError`
(unreadable json, no ``images``/``annotations`` list, missing or duplicate
ids); problems with single annotations or images become counted skips with a
reason from :data:`SKIP_REASONS`.
"""
import hashlib
import json
import logging
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

# Why an annotation got an empty proxy mask (and mask_ignored=True).
SKIP_REASONS = (
    'missing_key',  # no image_id / bbox / category_id
    'bad_box',  # bbox not 4 finite numbers
    'empty_box',  # width or height <= 0
    'box_outside_image',  # no overlap with the image
    'unknown_image',  # image_id not in images
    'bad_image_entry',  # its image has no file_name or no valid height/width
    'image_missing',  # image file not found
    'image_unreadable',  # image file cannot be decoded
    'image_size_mismatch',  # decoded size differs from the json
)
SKIP_CODE = {r: i + 1 for i, r in enumerate(SKIP_REASONS)}  # 0 = no skip
# How many messages per reason are printed before only counting.
MAX_MESSAGES = 5


class ProxyInputError(Exception):
    """A user error that leaves nothing sensible to write."""


@dataclass
class ImageEntry:
    """One entry of ``images`` with the positions of its annotations.

    ``ann_index`` holds the positions (in ``annotations``) of the image's
    non-crowd annotations, in input order; ``problem`` a skip reason for the
    whole image (or None); ``height``/``width`` are 0 when not valid.
    """
    index: int
    id: Any
    file_name: Optional[str]
    height: int
    width: int
    ann_index: np.ndarray
    problem: Optional[str] = None


@dataclass
class ProxyInput:
    """A checked COCO json.

    Attributes:
        data (dict): the parsed json, untouched.
        ann_file (str): its path.
        fingerprint (str): sha1 of the file's bytes.
        images (list[ImageEntry]): one per entry of ``images`` that has an id,
            in input order.
        boxes (np.ndarray): (A, 4) float64 ``x1, y1, x2, y2`` of every
            annotation, clipped to its image (NaN where unusable).
        skip (np.ndarray): (A,) uint8 code of the box-level skip reason
            (0 = none, else ``SKIP_REASONS[code - 1]``).
        crowd (np.ndarray): (A,) bool, passed through unchanged.
        orphan_index (np.ndarray): positions of non-crowd annotations with no
            known image (written by the assembly step, not by a shard).
        counts (Counter): notes that are not skips: ``box_clipped`` (boxes
            partly outside their image, kept and clipped) and
            ``image_without_id`` (image entries left as they are).
    """
    data: Dict[str, Any]
    ann_file: str
    fingerprint: str
    images: List[ImageEntry]
    boxes: np.ndarray
    skip: np.ndarray
    crowd: np.ndarray
    orphan_index: np.ndarray
    counts: Counter = field(default_factory=Counter)

    @property
    def annotations(self) -> List[dict]:
        return self.data['annotations']


def file_sha1(path: str, chunk: int = 1 << 24) -> str:
    """sha1 of a file, read in chunks."""
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            h.update(block)
    return h.hexdigest()


class _Messages:
    """Print the first few messages per reason, count them all."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.counts: Counter = Counter()

    def __call__(self, reason: str, msg: str) -> None:
        self.counts[reason] += 1
        if self.verbose and self.counts[reason] <= MAX_MESSAGES:
            print_log(
                f'[{reason}] {msg}', logger='current', level=logging.WARNING)


def _read_json(ann_file: str) -> dict:
    if not osp.isfile(ann_file):
        raise ProxyInputError(f'annotation file {ann_file} does not exist')
    try:
        with open(ann_file, 'rb') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ProxyInputError(
            f'{ann_file} is not valid json: {e.msg} at line {e.lineno} '
            f'column {e.colno}') from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProxyInputError(f'cannot read {ann_file}: {e}') from None
    if not isinstance(data, dict):
        raise ProxyInputError(f'{ann_file} holds a json {type(data).__name__}'
                              ', not a COCO object')
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise ProxyInputError(
                f'{ann_file} has no "{key}" list: not a COCO instance file')
    return data


def _hashable_id(v) -> bool:
    return isinstance(v, (int, float, str)) and not isinstance(v, bool)


def _positive_int(v) -> int:
    """``v`` as a positive int, else 0."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0
    return int(v) if v > 0 and float(v).is_integer() else 0


def _image_entries(data: dict, ann_file: str, say: _Messages) -> list:
    entries, seen = [], {}
    for i, img in enumerate(data['images']):
        if not isinstance(img, dict) or 'id' not in img:
            say(
                'image_without_id',
                f'{ann_file}: images[{i}] has no "id"; no annotation can '
                'refer to it, it is left as is')
            continue
        img_id = img['id']
        if not _hashable_id(img_id):
            raise ProxyInputError(f'{ann_file}: images[{i}] has the id '
                                  f'{img_id!r}; ids must be numbers or '
                                  'strings')
        if img_id in seen:
            raise ProxyInputError(
                f'{ann_file}: image id {img_id!r} appears twice (images['
                f'{seen[img_id]}] and images[{i}])')
        seen[img_id] = i
        h, w = _positive_int(img.get('height')), _positive_int(
            img.get('width'))
        name = img.get('file_name')
        problem = None
        if not isinstance(name, str) or not name or not h or not w:
            problem = 'bad_image_entry'
            say(
                problem, f'{ann_file}: image id {img_id!r} needs a file_name '
                'and positive integer height and width, has '
                f'file_name={name!r} height={img.get("height")!r} '
                f'width={img.get("width")!r}')
            h, w = (h, w) if h and w else (0, 0)
            name = name if isinstance(name, str) else None
        entries.append(ImageEntry(i, img_id, name, h, w, None, problem))
    return entries


def _parse_boxes(anns: list) -> np.ndarray:
    """(A, 4) float64 xywh; NaN rows where ``bbox`` is not 4 numbers."""
    raw = [a.get('bbox') for a in anns]
    try:
        xywh = np.array(raw, dtype=np.float64)
        if xywh.shape == (len(anns), 4):
            return xywh
    except (TypeError, ValueError):
        pass
    xywh = np.full((len(anns), 4), np.nan)
    for k, b in enumerate(raw):
        try:
            v = np.asarray(b, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if v.shape == (4, ):
            xywh[k] = v
    return xywh


def load_proxy_input(ann_file: str, verbose: bool = True) -> ProxyInput:
    """Read, index and check a COCO instance json.

    Args:
        ann_file (str): the json.
        verbose (bool): print the first few messages per problem.

    Returns:
        ProxyInput: see its docstring.

    Raises:
        ProxyInputError: unreadable or invalid json, no ``images`` or
            ``annotations`` list, an annotation that is not an object or has
            no ``id``, duplicate annotation or image ids.
    """
    data = _read_json(ann_file)
    fingerprint = file_sha1(ann_file)
    say = _Messages(verbose)
    images = _image_entries(data, ann_file, say)
    by_id = {e.id: k for k, e in enumerate(images)}

    anns = data['annotations']
    seen = {}
    for k, a in enumerate(anns):
        if not isinstance(a, dict) or 'id' not in a:
            raise ProxyInputError(
                f'{ann_file}: annotations[{k}] has no "id": proxy masks are '
                'keyed by annotation id')
        if not _hashable_id(a['id']):
            raise ProxyInputError(f'{ann_file}: annotations[{k}] has the id '
                                  f'{a["id"]!r}; ids must be numbers or '
                                  'strings')
        if a['id'] in seen:
            raise ProxyInputError(
                f'{ann_file}: annotation id {a["id"]!r} appears twice '
                f'(annotations[{seen[a["id"]]}] and annotations[{k}])')
        seen[a['id']] = k
    del seen
    n = len(anns)
    crowd = np.array([bool(a.get('iscrowd', 0)) for a in anns], dtype=bool)
    img_ids = [a.get('image_id') for a in anns]
    img_pos = [by_id.get(v, -1) if _hashable_id(v) else -1 for v in img_ids]
    img_pos = np.array(img_pos, dtype=np.int64).reshape(n)
    required = ('image_id', 'bbox', 'category_id')
    has_keys = [all(key in a for key in required) for a in anns]
    has_keys = np.array(has_keys, dtype=bool).reshape(n)
    xywh = _parse_boxes(anns)
    boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)

    # (A, 2) height, width of each annotation's image; (0, 0) if unknown
    sizes = [[e.height, e.width] for e in images] + [[0, 0]]
    hw = np.array(sizes, dtype=np.float64)[img_pos]
    h, w = hw[:, 0], hw[:, 1]
    finite = np.isfinite(boxes).all(axis=1)
    positive = finite & (xywh[:, 2] > 0) & (xywh[:, 3] > 0)
    checkable = positive & (h > 0)
    # yapf: disable
    no_overlap = (boxes[:, 0] >= w) | (boxes[:, 1] >= h) | (
        boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
    sticks_out = (boxes[:, 0] < 0) | (boxes[:, 1] < 0) | (
        boxes[:, 2] > w) | (boxes[:, 3] > h)
    outside = checkable & no_overlap
    clipped = checkable & ~no_overlap & sticks_out

    # later rules override earlier ones
    skip = np.zeros(n, dtype=np.uint8)
    rules = (('box_outside_image', outside),
             ('empty_box', finite & ~positive),
             ('bad_box', ~finite),
             ('unknown_image', img_pos < 0),
             ('missing_key', ~has_keys))
    # yapf: enable
    for reason, bad in rules:
        skip[bad] = SKIP_CODE[reason]
    skip[crowd] = 0
    boxes[skip > 0] = np.nan
    ok = skip == 0
    boxes[ok] = np.clip(boxes[ok], 0, np.tile(hw[ok][:, ::-1], 2))

    for k in np.flatnonzero(skip):
        reason = SKIP_REASONS[skip[k] - 1]
        a = anns[k]
        say(
            reason, f'{ann_file}: annotation id {a["id"]!r} (image_id '
            f'{a.get("image_id")!r}, bbox {a.get("bbox")!r}): {reason}')
    counts = Counter(
        box_clipped=int(clipped[~crowd].sum()),
        image_without_id=say.counts['image_without_id'])

    # group non-crowd annotations of known images by image, input order kept
    member = np.flatnonzero(~crowd & (img_pos >= 0))
    order = member[np.argsort(img_pos[member], kind='stable')]
    bounds = np.searchsorted(img_pos[order], np.arange(len(images) + 1))
    for k, e in enumerate(images):
        e.ann_index = order[bounds[k]:bounds[k + 1]]
    orphan = np.flatnonzero(~crowd & (img_pos < 0))
    return ProxyInput(data, ann_file, fingerprint, images, boxes, skip, crowd,
                      orphan, counts)
