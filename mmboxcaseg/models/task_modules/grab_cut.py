"""OpenCV GrabCut on a box: the classic baseline and a refinement step.

Not in BoxCaseg (arXiv 2104.01526). :func:`grabcut_region` runs
``cv2.grabCut`` with ``GC_INIT_WITH_MASK`` on a window around a box: pixels
of the window outside the box are background, the box's pixels carry seeds.

- Rectangle seeds (every box pixel "probably foreground") are exactly
  ``GC_INIT_WITH_RECT``: the GrabCut baseline
  (:class:`~mmboxcaseg.models.segmentors.GrabCutSegmentor`), run on the whole
  image as in the reference figures of ``../shared/data``.
- :class:`GrabCutRefine` seeds from a segmentor's probability map (sure
  foreground above ``fg_thr``, probable foreground / background around
  the model's ``test_cfg.mask_thr``) on the box enlarged by ``margin``:
  the colour models then snap the network's coarse mask to the image's
  edges.

OpenCV's RNG (which seeds the k-means of the colour models) is re-seeded
before every box, so a box's mask does not depend on the order or batching
of the boxes. ``cv2.grabCut`` releases the GIL: refinement runs in threads.
"""
from typing import Optional, Tuple

import cv2
import numpy as np

from mmboxcaseg.registry import TASK_UTILS

# GrabCut fits 5-component colour GMMs: both sides need a few pixels.
MIN_SIDE = 2
MIN_PIXELS = 16


def _foreground(labels: np.ndarray) -> np.ndarray:
    """Where ``cv2.GC_*`` labels are (probably) foreground."""
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def grabcut_region(image: np.ndarray,
                   region: Tuple[int, int, int, int],
                   seeds: np.ndarray,
                   iterations: int = 5,
                   margin: Optional[float] = None,
                   seed: int = 0,
                   max_side: Optional[int] = None) -> Optional[np.ndarray]:
    """GrabCut of one box region.

    Args:
        image (np.ndarray): ``(H, W, 3)`` uint8 BGR.
        region (tuple): int ``x0, y0, x1, y1`` (half-open) of the box.
        seeds (np.ndarray): uint8 ``(y1 - y0, x1 - x0)`` of ``cv2.GC_*``
            values for the box's pixels.
        iterations (int): GrabCut iterations.
        margin (float, optional): the window is the box enlarged by this
            share of its size on every side (clipped); None: the whole image.
        seed (int): OpenCV RNG seed.
        max_side (int, optional): a window longer than this on a side is
            cut at this scale (image by area averaging, seeds by nearest),
            and GrabCut's labels come back to the box's pixels by nearest;
            its cost grows with the window's pixels. None: full resolution.
            Not in the paper (throughput; docs/model_zoo.md).

    Returns:
        np.ndarray | None: bool ``(y1 - y0, x1 - x0)`` (the box's pixels
        labelled (probably) foreground), or None when the box is degenerate
        (thinner than 2 px, fewer than 16 px inside or outside it in the
        window) or OpenCV fails.
    """
    h, w = image.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in region)
    bw, bh = x1 - x0, y1 - y0
    if margin is None:
        wx0, wy0, wx1, wy1 = 0, 0, w, h
    else:
        wx0 = max(0, int(np.floor(x0 - margin * bw)))
        wy0 = max(0, int(np.floor(y0 - margin * bh)))
        wx1 = min(w, int(np.ceil(x1 + margin * bw)))
        wy1 = min(h, int(np.ceil(y1 + margin * bh)))
    inside = bw * bh
    if min(bw, bh) < MIN_SIDE or inside < MIN_PIXELS or \
            (wx1 - wx0) * (wy1 - wy0) - inside < MIN_PIXELS:
        return None
    mask = np.full((wy1 - wy0, wx1 - wx0), cv2.GC_BGD, np.uint8)
    mask[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0] = seeds
    if not _foreground(seeds).any():
        return None
    window = np.ascontiguousarray(image[wy0:wy1, wx0:wx1])
    scale = 1.0
    if max_side is not None and max(window.shape[:2]) > max_side:
        scale = max_side / max(window.shape[:2])
        size = (max(1, round(window.shape[1] * scale)),
                max(1, round(window.shape[0] * scale)))
        window = cv2.resize(window, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
        if not _foreground(mask).any():
            return None
    bgd = np.zeros((1, 65), dtype=np.float64)
    fgd = np.zeros((1, 65), dtype=np.float64)
    cv2.setRNGSeed(int(seed))
    try:
        cv2.grabCut(window, mask, None, bgd, fgd, int(iterations),
                    cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None
    labels = _foreground(mask)
    if scale != 1.0:  # back to the window's pixels, then the box's
        labels = cv2.resize(
            labels.astype(np.uint8), (wx1 - wx0, wy1 - wy0),
            interpolation=cv2.INTER_NEAREST).astype(bool)
    return labels[y0 - wy0:y1 - wy0, x0 - wx0:x1 - wx0]


def rect_seeds(height: int, width: int) -> np.ndarray:
    """Seeds of ``GC_INIT_WITH_RECT``: every box pixel probably foreground."""
    return np.full((height, width), cv2.GC_PR_FGD, np.uint8)


@TASK_UTILS.register_module()
class GrabCutRefine:
    """Refine a box's mask by GrabCut seeded from its probability map,
    where refinement helps: decided per box.

    Seeds inside the box: ``p > fg_thr`` sure foreground, else probably
    foreground where ``p > mask_thr`` (the model's ``test_cfg.mask_thr``,
    passed in with the map, so a mask has one threshold), sure background
    where ``p < bg_thr`` and probably background elsewhere; the window
    around the box (``margin``) is background. So GrabCut redraws only the
    band where the network hesitates (``bg_thr <= p <= fg_thr``).

    Not every box gains (docs/model_zoo.md, "Refinement per box"): on
    small boxes GrabCut's colour models have too few pixels, and where it
    redraws most of the network's mask it has usually followed the
    background or a neighbour. So the network's mask ``p > mask_thr`` is
    kept for a box

    - smaller than ``min_size`` (``sqrt(w * h)`` in image pixels),
      ``'small'``;
    - whose refined mask overlaps it by an IoU below ``min_agreement``,
      ``'disagree'``;
    - where GrabCut cannot run (degenerate box, no seed, OpenCV error) or
      ends with an empty mask, ``'fallback'``.

    With both gates at 0 every box is refined (the behaviour before the
    gates).

    Args:
        fg_thr (float): sure-foreground threshold on the normalised map.
        bg_thr (float): sure-background threshold. 0 leaves every box
            pixel to GrabCut; 0.3 (the default, in the middle of a plateau
            where refinement helps: docs/model_zoo.md, "Refinement seeds")
            keeps the pixels the network calls background out of GrabCut's
            reach.
        margin (float): window = box enlarged by this share per side.
        iterations (int): GrabCut iterations.
        seed (int): OpenCV RNG seed before every box.
        min_size (float): boxes below this side (pixels) keep the network's
            mask. 32: COCO's bound of small objects, the middle of the
            plateau measured (24-40).
        min_agreement (float): the refined mask replaces the network's only
            at this IoU with it or above. 0.7: measured, 0.5-0.7 a plateau.
        max_side (int, optional): GrabCut runs on a window longer than
            this on a side at this scale (:func:`grabcut_region`); None:
            full resolution (the default).
    """

    def __init__(self,
                 fg_thr: float = 0.9,
                 bg_thr: float = 0.3,
                 margin: float = 0.25,
                 iterations: int = 3,
                 seed: int = 0,
                 min_size: float = 32,
                 min_agreement: float = 0.7,
                 max_side: Optional[int] = None) -> None:
        if not 0 <= bg_thr <= fg_thr <= 1 or margin < 0 or iterations < 1 \
                or min_size < 0 or not 0 <= min_agreement <= 1 or \
                (max_side is not None and max_side < 8):
            raise ValueError(
                'GrabCutRefine needs 0 <= bg_thr <= fg_thr <= 1, '
                'margin >= 0, iterations >= 1, min_size >= 0, '
                '0 <= min_agreement <= 1 and max_side None or >= 8, got '
                f'bg_thr={bg_thr}, fg_thr={fg_thr}, margin={margin}, '
                f'iterations={iterations}, min_size={min_size}, '
                f'min_agreement={min_agreement}, max_side={max_side}')
        self.fg_thr = float(fg_thr)
        self.bg_thr = float(bg_thr)
        self.margin = float(margin)
        self.iterations = int(iterations)
        self.seed = int(seed)
        self.min_size = float(min_size)
        self.min_agreement = float(min_agreement)
        self.max_side = None if max_side is None else int(max_side)

    def seeds(self, prob: np.ndarray, mask_thr: float) -> np.ndarray:
        """``cv2.GC_*`` seeds of a region probability map.

        Raises:
            ValueError: ``mask_thr`` is outside ``[bg_thr, fg_thr]``.
        """
        if not self.bg_thr <= mask_thr <= self.fg_thr:
            raise ValueError(
                f'GrabCutRefine needs bg_thr <= test_cfg.mask_thr <= fg_thr, '
                f'got {self.bg_thr} <= {mask_thr} <= {self.fg_thr}')
        return np.where(
            prob > self.fg_thr, cv2.GC_FGD,
            np.where(prob > mask_thr, cv2.GC_PR_FGD,
                     np.where(prob < self.bg_thr, cv2.GC_BGD,
                              cv2.GC_PR_BGD))).astype(np.uint8)

    def __call__(self, image: np.ndarray, region, prob: np.ndarray,
                 mask_thr: float,
                 score: bool = True) -> Tuple[np.ndarray, str, float]:
        """The region's bool mask, what happened to it (``'refined'``, or
        why the network's mask was kept: ``'small'``, ``'disagree'``,
        ``'fallback'``) and the agreement of GrabCut's mask with the
        network's (their IoU).

        ``region`` is the box ``x0, y0, x1, y1`` in image pixels,
        ``prob`` its ``(y1 - y0, x1 - x0)`` normalised probabilities.
        ``mask_thr`` is the model's ``test_cfg.mask_thr``: the network's
        mask is ``prob > mask_thr``, and it splits probable foreground from
        probable background.

        GrabCut runs on small boxes too: their mask stays the network's,
        but the agreement is part of every mask's score
        (:func:`~mmboxcaseg.models.segmentors.region_masks.mask_scores`).
        Where GrabCut cannot run the agreement is 1 (no evidence either
        way); where it ends empty, 0. With ``score=False`` (the score
        comes from elsewhere, e.g. a quality head) small boxes skip GrabCut
        and their agreement is 1.
        """
        base = prob > mask_thr
        x0, y0, x1, y1 = (float(v) for v in region)
        small = (max(x1 - x0, 0) * max(y1 - y0, 0))**0.5 < self.min_size
        if small and not score:
            return base, 'small', 1.0
        out = grabcut_region(image, region, self.seeds(prob, mask_thr),
                             self.iterations, self.margin, self.seed,
                             self.max_side)
        if out is None:
            agreement = 1.0
        else:
            union = np.count_nonzero(out | base)
            agreement = np.count_nonzero(out & base) / union if union else 0.
        if small:
            return base, 'small', agreement
        if out is None or not out.any():
            return base, 'fallback', agreement
        if agreement < self.min_agreement:
            return base, 'disagree', agreement
        return out, 'refined', agreement

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(fg_thr={self.fg_thr}, '
                f'bg_thr={self.bg_thr}, '
                f'margin={self.margin}, '
                f'iterations={self.iterations}, '
                f'min_size={self.min_size}, '
                f'min_agreement={self.min_agreement}, '
                f'max_side={self.max_side})')
