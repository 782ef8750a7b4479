"""Paste / merge / drop / encode in chunks equals the one-shot computation,
and a chunk never holds more than its pixel budget."""
import importlib

import numpy as np
import pytest

from mmboxcaseg.evaluation.functional.image_records import (ProxySettings,
                                                            full_image_steps,
                                                            image_records)
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


def test_drop_by_score_ignores_the_unsure_masks_only():
    """Two boxes, one the network is sure of (p in {0.02, 0.98}: certainty
    0.96), one it hesitates on (p in {0.4, 0.6}: 0.2); both masks fill a
    quarter of their box (fill factor 0.25 ** 0.25): scores 0.68 and 0.14.
    A score drop at 0.5 ignores the second mask (in the mask loss only: its
    RLE, score and agreement stay); without it nothing is ignored."""
    sure = np.full((8, 8), 0.02, np.float32)
    sure[2:6, 2:6] = 0.98
    unsure = np.full((8, 8), 0.4, np.float32)
    unsure[2:6, 2:6] = 0.6
    regions = np.array([[0, 0, 8, 8], [10, 0, 18, 8]])
    sample = dict(
        ori_shape=(8, 20), ann_ids=[1, 2], category_ids=[1, 1],
        boxes=regions.astype(np.float64), skip=np.zeros(2, int),
        regions=regions, crop_regions=regions,
        pred_probs=np.stack([sure, unsure]), mask_thr=0.5)
    kept, _ = image_records(sample, ProxySettings(merge=False))
    dropped, _ = image_records(
        sample, ProxySettings(merge=False, drop_score_thr=0.5))
    assert [r['score'] for r in kept] == pytest.approx(
        [0.96 * 0.25**0.25, 0.2 * 0.25**0.25])
    assert [r['mask_ignored'] for r in kept] == [False, False]
    assert [r['mask_ignored'] for r in dropped] == [False, True]
    for a, b in zip(kept, dropped):
        assert a['segmentation'] == b['segmentation']
        assert a['proxy_agreement'] == b['proxy_agreement']
