"""The one instance overlay: per instance a colour, a light mask fill, the
mask's outline, the box and a ``name 0.87`` label.

Used by :class:`~mmboxcaseg.visualization.BoxMaskVisualizer` (the demo and
the Inferencer), by the converter's ``--show-dir`` and by the demo figures.
"""
from typing import List, Optional, Sequence

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX


PALETTE_STRIDE = 19


def instance_colours(n: int) -> List[tuple]:
    """``n`` colours (RGB) from mmdet's COCO palette, repeated past 80 (the
    same instance position gets the same colour in every picture). The
    palette's neighbours are alike (its first two are reds), so it is read
    with a stride coprime to 80: of all such strides, 19 keeps the first
    eight colours furthest apart."""
    from mmdet.visualization.palette import get_palette
    palette = get_palette('coco', 80)
    return [tuple(int(v) for v in palette[(k * PALETTE_STRIDE) % 80])
            for k in range(n)]


def _dashed_rectangle(img, p0, p1, colour, thickness: int) -> None:
    (x0, y0), (x1, y1) = p0, p1
    dash = 3 * thickness + 1
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)),
                 ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        a, b = np.array(a), np.array(b)
        length = max(int(np.abs(b - a).max()), 1)
        for s in range(0, length, 2 * dash):
            e = min(s + dash, length)
            cv2.line(img, tuple(int(v) for v in a + (b - a) * s // length),
                     tuple(int(v) for v in a + (b - a) * e // length),
                     colour, thickness)


def _label(img, text: str, x: int, y: int, colour, scale: float) -> None:
    """``text`` on a ``colour`` patch above ``(x, y)`` (below it when there
    is no room above), kept inside the image."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, 1)
    h, w = img.shape[:2]
    x = int(np.clip(x, 0, max(w - tw - 2, 0)))
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(img, (x, top), (x + tw + 1, top + th + base + 1), colour,
                  -1)
    ink = (0, 0, 0) if sum(colour) > 380 else (255, 255, 255)
    cv2.putText(img, text, (x + 1, top + th + 1), FONT, scale, ink, 1,
                cv2.LINE_AA)


def draw_instances(image: np.ndarray,
                   masks: np.ndarray,
                   boxes: np.ndarray,
                   scores: Optional[Sequence[float]] = None,
                   names: Optional[Sequence[str]] = None,
                   dropped: Optional[Sequence[bool]] = None,
                   alpha: float = 0.35) -> np.ndarray:
    """Draw instances over a copy of ``image``.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8; colours are RGB (flip the
            result's channels for a BGR image).
        masks (np.ndarray): ``(N, H, W)`` bool.
        boxes (np.ndarray): ``(N, 4)`` x1, y1, x2, y2 (a box with a NaN is
            not drawn).
        scores: ``(N,)`` mask scores, written as ``score 0.87`` (``name
            0.87`` with ``names``); None (or a NaN score): no label.
        names: ``(N,)`` class names (None: not known).
        dropped: ``(N,)`` masks dropped by the converter: outline only, a
            dashed box and ``dropped`` in the label.
        alpha (float): opacity of the mask fill.

    Returns:
        np.ndarray: the picture, ``(H, W, 3)`` uint8.
    """
    n = len(masks)
    h, w = image.shape[:2]
    colours = instance_colours(n)
    dropped = np.zeros(n, bool) if dropped is None else np.asarray(
        dropped, bool)
    out = image.astype(np.float32)
    for m, c, drop in zip(masks, colours, dropped):
        if not drop:
            out[m] = (1 - alpha) * out[m] + alpha * np.float32(c)
    out = np.ascontiguousarray(out.round().astype(np.uint8))
    thickness = 1 + min(h, w) // 600
    scale = max(0.3, min(h, w) / 1500)
    for k, (m, box, c) in enumerate(zip(masks, boxes, colours)):
        contours, _ = cv2.findContours(
            m.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, c, thickness)
        if not np.isfinite(box).all():
            continue
        p0 = (int(np.floor(box[0])), int(np.floor(box[1])))
        p1 = (int(np.ceil(box[2])) - 1, int(np.ceil(box[3])) - 1)
        if dropped[k]:
            _dashed_rectangle(out, p0, p1, c, thickness)
        else:
            cv2.rectangle(out, p0, p1, c, thickness)
        if scores is not None and np.isfinite(scores[k]):
            name = names[k] if names and names[k] else 'score'
            text = f'{name} {scores[k]:.2f}'
            _label(out, text + (' dropped' if dropped[k] else ''), p0[0],
                   p0[1], c, scale)
    return out
