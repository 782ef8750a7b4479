import pytest
import torch
import torch.nn.functional as F

from mmboxcaseg.models.segmentors import logits_to_region_masks


def reference(logit, size, thr=0.5):
    """One instance, step by step: sigmoid, min-max, resize, threshold."""
    p = logit.sigmoid()
    p = (p - p.min()) / (p.max() - p.min())
    p = F.interpolate(p[None], size, mode='bilinear', align_corners=False)
    return p[0, 0], p[0, 0] > thr


def test_matches_per_instance_reference():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 8, 8, generator=gen) * 3
    sizes = [(8, 8), (20, 5), (3, 31)]
    masks = logits_to_region_masks(logits, sizes)
    assert [tuple(m.shape) for m in masks] == sizes
    for logit, size, mask in zip(logits, sizes, masks):
        probs, ref = reference(logit, size)
        assert mask.dtype == torch.bool
        undecided = (probs - 0.5).abs() < 1e-5
        assert torch.equal(mask[~undecided], ref[~undecided])


def test_min_max_makes_the_threshold_relative():
    # all probabilities below 0.5, but the upper half is the relative max
    logits = torch.full((1, 1, 4, 4), -3.)
    logits[0, 0, :2] = -1.
    (mask, ) = logits_to_region_masks(logits, [(4, 4)])
    assert mask[:2].all() and not mask[2:].any()


def test_constant_map_is_thresholded_unnormalised():
    logits = torch.stack(
        [torch.full((1, 2, 2), 5.),
         torch.full((1, 2, 2), -5.)])
    fg, bg = logits_to_region_masks(logits, torch.tensor([[3, 3], [2, 4]]))
    assert fg.all() and fg.shape == (3, 3)
    assert not bg.any() and bg.shape == (2, 4)


def test_errors_and_empty():
    assert logits_to_region_masks(torch.zeros(0, 1, 4, 4), []) == []
    with pytest.raises(ValueError, match='2 logit maps but 1'):
        logits_to_region_masks(torch.zeros(2, 1, 4, 4), [(2, 2)])
    with pytest.raises(ValueError, match='>= 1'):
        logits_to_region_masks(torch.zeros(1, 1, 4, 4), [(0, 2)])
