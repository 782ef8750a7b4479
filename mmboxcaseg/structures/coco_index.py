"""The one reader of COCO instance jsons: boxes, skip rules, image table.

Every stage that takes boxes from a COCO json (segmentor training,
evaluation, proxy masks, the Inferencer) calls :func:`index_coco`, so a box
that one stage skips is skipped by all, for the same named reason.

Problems that leave nothing sensible to do raise :class:`CocoFormatError`
(not a json object, no ``images`` / ``annotations`` / ``categories`` list,
missing or duplicate ids). Problems of single annotations or images are
*skips*: the annotation keeps its place (a proxy file still lists it, with an
empty mask and ``mask_ignored``) and the reason is one of
:data:`SKIP_REASONS`. Boxes are checked with array operations, so a COCO-size
json (860k annotations) is indexed in seconds.
"""
import json
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mmboxcaseg.utils.file_digest import file_digest
from mmboxcaseg.utils.problem_log import ProblemLog
from mmboxcaseg.utils.user_errors import UserError

# Why an annotation is not used (a proxy file gives it an empty mask and
# mask_ignored=True). Codes are 1-based positions (0 = usable).
SKIP_REASONS = (
    'missing_key',  # no image_id / bbox / category_id
    'bad_box',  # bbox not a list of 4 finite numbers (strings, booleans...)
    'empty_box',  # width or height <= 0
    'box_outside_image',  # no overlap with the image
    'unknown_image',  # image_id not in images
    'unknown_category',  # category_id not in categories
    'bad_image_entry',  # its image has no file_name or no valid height/width
    'image_too_large',  # the json declares more than max_pixels pixels
    'unsafe_file_name',  # file_name is absolute or climbs out with '..'
    'image_missing',  # image file not found
    'image_unreadable',  # image file cannot be decoded
    'image_size_mismatch',  # decoded size differs from the json
    'bad_iscrowd',  # iscrowd neither a number nor a boolean (e.g. "0")
)
SKIP_CODE = {r: i + 1 for i, r in enumerate(SKIP_REASONS)}
# image-level reasons, found when the image is read (not by index_coco)
READ_REASONS = ('image_missing', 'image_unreadable', 'image_size_mismatch')
# a declared size above this is refused before anything is allocated
MAX_PIXELS = 1 << 28  # 268 MP, e.g. 16384 x 16384


class CocoFormatError(UserError, ValueError):
    """A COCO json that cannot be used at all (the message names the item):
    a user error (a tool exits with it on one line) and a ``ValueError``."""


@dataclass
class ImageEntry:
    """One entry of ``images`` with the positions of its annotations.

    ``ann_index`` holds the positions (in ``annotations``) of its non-crowd
    annotations in input order; ``problem`` an image-level skip reason or
    None; ``height`` / ``width`` are 0 when not valid.
    """
    index: int
    id: Any
    file_name: Optional[str]
    height: int
    width: int
    ann_index: np.ndarray = None
    problem: Optional[str] = None


@dataclass
class CocoIndex:
    """A checked COCO instance json.

    Attributes:
        data (dict): the parsed json, untouched.
        ann_file (str): its path.
        fingerprint (str): sha1 of the file's bytes.
        images (list[ImageEntry]): one per entry of ``images`` with an id.
        boxes (np.ndarray): (A, 4) float64 ``x1, y1, x2, y2`` of every
            annotation, clipped to its image (NaN where skipped).
        skip (np.ndarray): (A,) uint8 skip code of each annotation (0 = use
            it; image-level reasons are also set here).
        crowd (np.ndarray): (A,) bool; crowd annotations are never skipped
            nor used, only passed through.
        orphan_index (np.ndarray): non-crowd annotations of no known image.
        counts (Counter): notes that are not skips: ``box_clipped`` (kept,
            clipped to the image) and ``image_without_id``.
        ann_image (np.ndarray): (A,) int64 position in ``images`` of each
            annotation's image (crowd ones too), -1 for none.
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
    ann_image: np.ndarray = None

    @property
    def annotations(self) -> List[dict]:
        return self.data['annotations']

    def skip_reason(self, pos: int) -> Optional[str]:
        """The skip reason of annotation ``pos`` (None when usable)."""
        code = int(self.skip[pos])
        return SKIP_REASONS[code - 1] if code else None

    def category_metainfo(self) -> dict:
        """``classes`` (names; the id where a category has none) and
        ``cat_ids`` of the json's categories, ordered by id as text."""
        cats = sorted((c for c in self.data.get('categories', [])
                       if isinstance(c, dict) and 'id' in c),
                      key=lambda c: str(c['id']))
        return dict(
            classes=tuple(str(c.get('name', c['id'])) for c in cats),
            cat_ids=[c['id'] for c in cats])

    def format_doubt(self) -> 'BoxFormatDoubt':
        """:func:`box_format_doubt` of the non-crowd boxes of known
        images, as the json gives them."""
        use = np.flatnonzero(~self.crowd & (self.ann_image >= 0))
        hw = np.array([[e.height, e.width] for e in self.images] + [[0, 0]],
                      dtype=np.float64)[self.ann_image[use]]
        return box_format_doubt(
            parse_boxes([self.annotations[k] for k in use]), hw[:, 0],
            hw[:, 1])


def read_coco_json(ann_file: str) -> dict:
    """Parse a COCO instance json: ``FileNotFoundError`` if missing,
    :class:`CocoFormatError` if unusable."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file {ann_file} does not exist')
    try:
        with open(ann_file, 'rb') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise CocoFormatError(
            f'{ann_file} is not valid json: {e.msg} at line {e.lineno} '
            f'column {e.colno}') from None
    except (OSError, UnicodeDecodeError) as e:
        raise CocoFormatError(f'cannot read {ann_file}: {e}') from None
    except RecursionError:  # json nests deeper than Python's stack
        raise CocoFormatError(f'{ann_file} is not a COCO file: its json is '
                              'nested too deeply to be read') from None
    if not isinstance(data, dict):
        raise CocoFormatError(f'{ann_file} holds a json '
                              f'{type(data).__name__}, not a COCO object')
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise CocoFormatError(
                f'{ann_file} has no "{key}" list: not a COCO instance file')
    return data


def _hashable_id(v) -> bool:
    return isinstance(v, (int, float, str)) and not isinstance(v, bool)


def _positive_int(v) -> int:
    """``v`` as a positive int, else 0."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0
    try:
        return int(v) if v > 0 and float(v).is_integer() else 0
    except (OverflowError, ValueError):
        return 0


def unsafe_file_name(name: str) -> bool:
    """An absolute ``file_name`` or one whose ``..`` leaves its root."""
    if osp.isabs(name) or name.startswith(('/', '\\')):
        return True
    depth = 0
    for part in name.replace('\\', '/').split('/'):
        if part == '..':
            depth -= 1
            if depth < 0:
                return True
        elif part not in ('', '.'):
            depth += 1
    return False


def _image_entries(data: dict, ann_file: str, say: ProblemLog,
                   max_pixels: int, allow_outside_root: bool) -> list:
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
            raise CocoFormatError(f'{ann_file}: images[{i}] has the id '
                                  f'{img_id!r}; ids must be numbers or '
                                  'strings')
        if img_id in seen:
            raise CocoFormatError(
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
        elif h * w > max_pixels:
            problem = 'image_too_large'
            say(
                problem, f'{ann_file}: image id {img_id!r} ({name}) declares '
                f'{w} x {h} pixels, more than {max_pixels}; not read')
            h = w = 0  # not a size to allocate anything for
        elif not allow_outside_root and unsafe_file_name(name):
            problem = 'unsafe_file_name'
            say(
                problem, f'{ann_file}: image id {img_id!r} has file_name '
                f'{name!r}, which points outside the image root (allow it '
                'with allow_outside_root / --allow-outside-root)')
        entries.append(ImageEntry(i, img_id, name, h, w, None, problem))
    return entries


def is_number(v) -> bool:
    """A json (or numpy) number: strings and booleans are not numbers."""
    return isinstance(v, (int, float, np.integer, np.floating)) and \
        not isinstance(v, (bool, np.bool_))


def parse_box_list(boxes) -> np.ndarray:
    """The box rule of every reader of boxes (json, the Inferencer's arrays
    and lists): ``(N, 4)`` float64 of N boxes, a NaN row where a box is not
    4 numbers (``["10", "10", "50", "50"]`` is not: strings and booleans
    are not numbers). Non-finite numbers are kept: :func:`box_skip_codes`
    calls both ``bad_box``.

    Args:
        boxes: a sequence of boxes (lists, tuples, arrays, or anything),
            or an ``(N, 4)`` numeric array (taken as it is).
    """
    if isinstance(boxes, np.ndarray) and boxes.dtype.kind in 'iuf' and \
            boxes.ndim == 2 and boxes.shape[1] == 4:
        return boxes.astype(np.float64)
    out = np.full((len(boxes), 4), np.nan)
    rows, vals = [], []
    for k, b in enumerate(boxes):
        if isinstance(b, (list, tuple, np.ndarray)) and len(b) == 4 and all(
                is_number(v) for v in b):
            rows.append(k)
            vals.append(b)
    if rows:
        try:
            out[np.asarray(rows)] = np.asarray(vals, dtype=np.float64)
        except OverflowError:  # an int of hundreds of digits
            for k, b in zip(rows, vals):
                try:
                    out[k] = [float(v) for v in b]
                except OverflowError:
                    pass  # stays NaN: bad_box
    return out


def parse_boxes(anns: List[dict]) -> np.ndarray:
    """(A, 4) float64 ``xywh`` of annotations; NaN rows where ``bbox`` is not
    a list of 4 numbers (:func:`parse_box_list`)."""
    return parse_box_list([a.get('bbox') for a in anns])


def crowd_flags(anns: List[dict]) -> Tuple[np.ndarray, np.ndarray]:
    """``(crowd, bad)`` bool ``(A,)`` of annotations, by the rule of boxes:
    ``iscrowd`` absent, null, 0 or false is not crowd, a nonzero number or
    true is; anything else (a string, even ``"0"``) is ``bad`` (skipped as
    ``bad_iscrowd``: guessing would silently drop or keep a mask)."""
    flags = [a.get('iscrowd') for a in anns]
    known = [v is None or isinstance(v, bool) or is_number(v) for v in flags]
    crowd = [ok and bool(v) for ok, v in zip(known, flags)]
    return (np.array(crowd, dtype=bool).reshape(-1),
            ~np.array(known, dtype=bool).reshape(-1))


def box_skip_codes(boxes: np.ndarray, height, width):
    """The box rules shared by every reader of boxes.

    Args:
        boxes (np.ndarray): ``(N, 4)`` float ``x1, y1, x2, y2`` (NaN rows for
            boxes that are not 4 numbers).
        height, width: scalars or ``(N,)`` arrays: each box's image size (0
            when unknown: then the image rules are not checked).

    Returns:
        tuple: ``codes`` (uint8 ``(N,)``: 0, or the code of ``bad_box``,
        ``empty_box`` (width or height <= 0) or ``box_outside_image``),
        ``boxes`` clipped to the image (NaN where a code is set) and
        ``clipped`` (bool ``(N,)``: usable boxes that stuck out).
    """
    boxes = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    h = np.broadcast_to(np.asarray(height, dtype=np.float64), (n, ))
    w = np.broadcast_to(np.asarray(width, dtype=np.float64), (n, ))
    finite = np.isfinite(boxes).all(axis=1)
    with np.errstate(invalid='ignore'):
        positive = finite & (boxes[:, 2] > boxes[:, 0]) & (
            boxes[:, 3] > boxes[:, 1])
        checkable = positive & (h > 0)
        no_overlap = (boxes[:, 0] >= w) | (boxes[:, 1] >= h) | (
            boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
        sticks_out = (boxes[:, 0] < 0) | (boxes[:, 1] < 0) | (
            boxes[:, 2] > w) | (boxes[:, 3] > h)
    codes = np.zeros(n, dtype=np.uint8)
    codes[checkable & no_overlap] = SKIP_CODE['box_outside_image']
    codes[finite & ~positive] = SKIP_CODE['empty_box']
    codes[~finite] = SKIP_CODE['bad_box']
    ok = codes == 0
    clipped = ok & checkable & sticks_out
    known = ok & (h > 0)
    boxes[known] = np.clip(boxes[known], 0,
                           np.stack([w, h, w, h], axis=1)[known])
    boxes[~ok] = np.nan
    return codes, boxes, clipped


# boxes that fit their image only when read in the other format: above this
# share of the usable boxes the format is likely wrong
FORMAT_DOUBT_SHARE = 0.25


@dataclass
class BoxFormatDoubt:
    """How boxes fit their images, to tell a box format given by mistake.

    ``usable``: boxes :func:`box_skip_codes` keeps whose image size is
    known; ``clipped``: of those, the ones sticking out of the image (the
    ``box_clipped`` rule); ``swapped``: of those, ones that fit when read
    as ``x1, y1, x2, y2`` (xywh input only); ``inverted``: boxes with
    ``x2 < x1`` or ``y2 < y1`` (xyxy input only: an ``x, y, w, h`` box read
    as xyxy whose size is smaller than its corner); ``total``: all boxes.
    """
    fmt: str
    total: int
    usable: int
    clipped: int
    swapped: int = 0
    inverted: int = 0

    def mistake(self) -> Optional[str]:
        """The likely mistake in words, or None when the boxes look right."""
        if self.fmt == 'xyxy':
            if not self.inverted:
                return None
            return (f'{self.inverted} of {self.total} boxes have x2 < x1 or '
                    'y2 < y1: they look like COCO x,y,width,height, but '
                    'x1,y1,x2,y2 boxes are expected (x2 = x + width, '
                    'y2 = y + height)')
        if self.swapped <= FORMAT_DOUBT_SHARE * self.usable:
            return None
        return (f'{self.swapped} of {self.usable} boxes fit their image '
                'only when read as x1,y1,x2,y2: the boxes are likely '
                'x1,y1,x2,y2, but COCO\'s bbox is x,y,width,height (width = '
                'x2 - x1, height = y2 - y1)')


def box_format_doubt(boxes, height, width,
                     fmt: str = 'xywh') -> BoxFormatDoubt:
    """Count the signs of boxes given in the wrong format.

    Args:
        boxes: ``(N, 4)`` boxes as given: COCO ``x, y, w, h`` (``fmt=
            'xywh'``) or ``x1, y1, x2, y2`` (``fmt='xyxy'``).
        height, width: scalars or ``(N,)`` arrays of each box's image size
            (0 when unknown).
    """
    b = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    if fmt == 'xywh':
        xyxy = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)
    else:
        xyxy = b
    codes, _, clipped = box_skip_codes(xyxy, height, width)
    n = len(b)
    h = np.broadcast_to(np.asarray(height, dtype=np.float64), (n, ))
    usable = (codes == 0) & (h > 0)
    doubt = BoxFormatDoubt(fmt, n, int(usable.sum()), int(clipped.sum()))
    if fmt == 'xywh':
        as_xyxy, _, as_xyxy_clipped = box_skip_codes(b, height, width)
        doubt.swapped = int(
            (clipped & (as_xyxy == 0) & ~as_xyxy_clipped).sum())
    else:
        with np.errstate(invalid='ignore'):
            doubt.inverted = int(((b[:, 2] < b[:, 0]) |
                                  (b[:, 3] < b[:, 1])).sum())
    return doubt


def _check_annotation_ids(anns: list, ann_file: str) -> None:
    seen = {}
    for k, a in enumerate(anns):
        if not isinstance(a, dict) or 'id' not in a:
            raise CocoFormatError(
                f'{ann_file}: annotations[{k}] has no "id": results are '
                'keyed by annotation id')
        if not _hashable_id(a['id']):
            raise CocoFormatError(f'{ann_file}: annotations[{k}] has the id '
                                  f'{a["id"]!r}; ids must be numbers or '
                                  'strings')
        if a['id'] in seen:
            raise CocoFormatError(
                f'{ann_file}: annotation id {a["id"]!r} appears twice '
                f'(annotations[{seen[a["id"]]}] and annotations[{k}])')
        seen[a['id']] = k


def index_coco(ann_file: str,
               data: Optional[dict] = None,
               verbose: bool = True,
               need_categories: bool = True,
               max_pixels: int = MAX_PIXELS,
               allow_outside_root: bool = False) -> CocoIndex:
    """Read, index and check a COCO instance json.

    Args:
        ann_file (str): the json (read unless ``data`` is given).
        data (dict, optional): its parsed content.
        verbose (bool): print the first few messages per problem.
        need_categories (bool): a json with annotations but no
            ``categories`` list is an error (default); else every category
            id is accepted.
        max_pixels (int): images declared larger are skipped
            (``image_too_large``) before anything is allocated.
        allow_outside_root (bool): accept absolute ``file_name`` and ones
            that climb out of the image root with ``..``.

    Returns:
        CocoIndex: see its docstring.

    Raises:
        CocoFormatError: unreadable json, no ``images`` / ``annotations``
            list, an annotation that is not an object or has no id,
            duplicate annotation or image ids, no ``categories`` list.
    """
    if data is None:
        data = read_coco_json(ann_file)
    fingerprint = file_digest(ann_file) if osp.isfile(ann_file) else ''
    say = ProblemLog(verbose=verbose)
    images = _image_entries(data, ann_file, say, max_pixels,
                            allow_outside_root)
    by_id = {e.id: k for k, e in enumerate(images)}
    anns = data['annotations']
    _check_annotation_ids(anns, ann_file)
    cats = data.get('categories')
    if need_categories and anns and not isinstance(cats, list):
        raise CocoFormatError(
            f'{ann_file} has no "categories" list: not a COCO instance file '
            '(the Mask R-CNN of stage 3 needs the categories)')
    cat_ids = None
    if isinstance(cats, list):
        cat_ids = {c.get('id') for c in cats if isinstance(c, dict)}

    n = len(anns)
    crowd, bad_crowd = crowd_flags(anns)
    img_ids = [a.get('image_id') for a in anns]
    img_pos = [by_id.get(v, -1) if _hashable_id(v) else -1 for v in img_ids]
    img_pos = np.array(img_pos, dtype=np.int64).reshape(n)
    required = ('image_id', 'bbox', 'category_id')
    has_keys = np.array([all(key in a for key in required) for a in anns],
                        dtype=bool).reshape(n)
    known_cat = np.ones(n, dtype=bool)
    if cat_ids is not None:
        known_cat = np.array([
            _hashable_id(a.get('category_id'))
            and a.get('category_id') in cat_ids for a in anns
        ],
                             dtype=bool).reshape(n)
    xywh = parse_boxes(anns)
    boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)

    sizes = [[e.height, e.width] for e in images] + [[0, 0]]
    hw = np.array(sizes, dtype=np.float64)[img_pos]
    h, w = hw[:, 0], hw[:, 1]
    problem = [e.problem for e in images] + [None]
    img_problem = np.array([SKIP_CODE.get(p, 0) for p in problem],
                           dtype=np.uint8)[img_pos]
    codes, boxes, clipped = box_skip_codes(boxes, h, w)
    # image-level problems; then the annotation's own defects override
    skip = np.where(codes > 0, codes, img_problem).astype(np.uint8)
    own_rules = (('bad_iscrowd', bad_crowd),
                 ('unknown_category', has_keys & ~known_cat),
                 ('unknown_image', img_pos < 0),
                 ('missing_key', ~has_keys))
    for reason, bad in own_rules:
        skip[bad] = SKIP_CODE[reason]
    own = (codes > 0) | bad_crowd | (has_keys & ~known_cat) | (
        img_pos < 0) | ~has_keys
    skip[crowd] = 0
    boxes[skip > 0] = np.nan
    ok = skip == 0

    for k in np.flatnonzero(own & ~crowd):
        reason = SKIP_REASONS[skip[k] - 1]
        a = anns[k]
        say(
            reason, f'{ann_file}: annotation id {a["id"]!r} (image_id '
            f'{a.get("image_id")!r}, bbox {a.get("bbox")!r}, category_id '
            f'{a.get("category_id")!r}): {reason}')
    counts = Counter(
        box_clipped=int((clipped & ok)[~crowd].sum()),
        image_without_id=say.counts['image_without_id'])

    # group non-crowd annotations of known images by image, input order kept
    member = np.flatnonzero(~crowd & (img_pos >= 0))
    order = member[np.argsort(img_pos[member], kind='stable')]
    bounds = np.searchsorted(img_pos[order], np.arange(len(images) + 1))
    for k, e in enumerate(images):
        e.ann_index = order[bounds[k]:bounds[k + 1]]
    orphan = np.flatnonzero(~crowd & (img_pos < 0))
    return CocoIndex(data, ann_file, fingerprint, images, boxes, skip, crowd,
                     orphan, counts, img_pos)
