"""Paste / merge / drop / encode in chunks equals the one-shot computation,
and a chunk never holds more than its pixel budget."""
import importlib

import numpy as np
import pytest

from mmboxcaseg.evaluation.functional.image_records import (ProxySettings,
                                                            full_image_steps)
from mmboxcaseg.structures import (drop_by_box_agreement, merge_smaller_first,
                                   paste_masks)
from mmboxcaseg.structures.coco_masks import encode_masks

# the module (its function has the same name)
ir = importlib.import_module('mmboxcaseg.evaluation.functional.image_records')


def _case(n=9, h=23, w=31, seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.integers(0, w - 4, n)
    y0 = rng.integers(0, h - 4, n)
    x1 = np.minimum(w, x0 + rng.integers(3, 16, n))
    y1 = np.minimum(h, y0 + rng.integers(3, 12, n))
    regions = np.stack([x0, y0, x1, y1], 1)
    masks = [rng.random((b - a, d - c)) > 0.3
             for a, b, c, d in zip(y0, y1, x0, x1)]
    for m in masks[::3]:  # a third fill only the left of their box
        m[:, m.shape[1] // 3:] = False
    # boxes a little inside their regions: agreement below 1 for some
    boxes = regions.astype(np.float64) + [0.5, 0.5, -0.5, -0.5]
    return masks, regions, boxes, (h, w)


@pytest.mark.parametrize('merge', [True, False])
@pytest.mark.parametrize('max_pixels', [1, 23 * 31 * 2, 23 * 31 * 4, 1 << 27])
def test_chunks_equal_one_shot(merge, max_pixels):
    masks, regions, boxes, shape = _case()
    settings = ProxySettings(merge=merge, drop_thr=0.9)
    full = paste_masks(masks, regions, shape, column_major=True)
    if merge:
        full = merge_smaller_first(full, boxes)
    agreement, ignored = drop_by_box_agreement(full, boxes, 0.9, 'snapped',
                                               1.0)
    rles, a, ig = full_image_steps(masks, regions, boxes, shape, settings,
                                   max_pixels=max_pixels)
    assert rles == encode_masks(full)
    np.testing.assert_array_equal(a, agreement)
    np.testing.assert_array_equal(ig, ignored)
    assert ignored.any() and not ignored.all()  # the case tests both


def test_a_chunk_holds_at_most_its_budget(monkeypatch):
    masks, regions, boxes, shape = _case(n=40)
    sizes = []
    real = ir.paste_masks

    def spy(local, regs, img_shape, column_major=False):
        sizes.append(len(local))
        return real(local, regs, img_shape, column_major)

    monkeypatch.setattr(ir, 'paste_masks', spy)
    full_image_steps(masks, regions, boxes, shape, ProxySettings(),
                     max_pixels=23 * 31 * 3)
    assert max(sizes) == 3 and sum(sizes) == 2 * 40  # owner pass + masks
