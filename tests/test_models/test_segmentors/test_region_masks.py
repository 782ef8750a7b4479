import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmboxcaseg.models.segmentors import (fill_factor, mask_scores,
                                          region_masks, region_probs,
                                          sample_region_masks)
from mmboxcaseg.models.task_modules import GrabCutRefine


def reference(prob, size, thr=0.5):
    """One instance, step by step: min-max, resize, threshold."""
    p = torch.from_numpy(prob)
    p = (p - p.min()) / (p.max() - p.min())
    p = F.interpolate(p[None, None], size, mode='bilinear',
                      align_corners=False)[0, 0]
    return p.numpy(), p.numpy() > thr


def test_tight_crops_match_the_paper_step_by_step():
    rng = np.random.default_rng(0)
    probs = rng.uniform(0, 1, (3, 8, 8)).astype(np.float32)
    regions = np.array([[0, 0, 8, 8], [2, 1, 7, 21], [0, 3, 31, 6]])
    masks, maps = region_masks(probs, regions)
    sizes = [(8, 8), (20, 5), (3, 31)]
    assert [m.shape for m in masks] == sizes
    for p, size, mask, m in zip(probs, sizes, masks, maps):
        ref_p, ref = reference(p, size)
        np.testing.assert_allclose(m, ref_p, atol=1e-5)
        decided = np.abs(ref_p - 0.5) > 1e-4
        assert mask.dtype == bool
        np.testing.assert_array_equal(mask[decided], ref[decided])


def test_min_max_makes_the_threshold_relative():
    p = np.full((1, 4, 4), 0.05, np.float32)
    p[0, :2] = 0.3  # below 0.5, but the relative maximum
    (mask, ), _ = region_masks(p, np.array([[0, 0, 4, 4]]))
    assert mask[:2].all() and not mask[2:].any()


def test_constant_maps_are_thresholded_unnormalised():
    p = np.stack([np.full((2, 2), 0.99), np.full((2, 2), 0.01)])
    (fg, bg), _ = region_masks(p.astype(np.float32),
                               np.array([[0, 0, 3, 3], [1, 1, 5, 3]]))
    assert fg.all() and fg.shape == (3, 3)
    assert not bg.any() and bg.shape == (2, 4)


def test_a_window_is_resized_then_cut_to_the_box():
    # a 4 x 4 crop of window 0..8 x 0..8 whose box is 2..6 x 2..6
    p = np.zeros((1, 4, 4), np.float32)
    p[0, 1:3, 1:3] = 1  # the centre of the window
    (m, ), (q, ) = region_masks(p, np.array([[2, 2, 6, 6]]),
                                np.array([[0, 0, 8, 8]]))
    full = cv2.resize(p[0], (8, 8), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(q, full[2:6, 2:6])
    assert m.shape == (4, 4) and m[1:3, 1:3].all()
    with pytest.raises(ValueError, match='inside its window'):
        region_probs(p, np.array([[0, 0, 9, 9]]), np.array([[0, 0, 8, 8]]))
    with pytest.raises(ValueError, match='1 probability maps for 2'):
        region_probs(p, np.zeros((2, 4), int))


def test_scores_are_the_mean_certainty_over_the_box():
    sure = np.array([[0.0, 1.0], [1.0, 0.0]])
    unsure = np.array([[0.4, 0.6], [0.6, 0.4]])
    scores = mask_scores([sure, unsure, sure],
                         [sure > 0.5, unsure > 0.5, np.zeros((2, 2), bool)])
    np.testing.assert_allclose(scores, [1.0, 0.2, 0.0])


def _sample(img, probs, regions, refine=None, thr=0.5):
    return dict(regions=regions, crop_regions=regions, pred_probs=probs,
                mask_thr=thr, refine=refine, img=img)


def test_sample_masks_with_and_without_refinement():
    # an object of one colour on a textured background; the network saw
    # only a blurry square in its middle
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, (40, 48, 3), dtype=np.uint8)
    img[10:30, 12:36] = (40, 200, 230)
    truth = np.zeros((30, 36), bool)  # region 6..42 x 5..35
    truth[5:25, 6:30] = True
    probs = np.zeros((1, 30, 36), np.float32)
    probs[0, 9:21, 12:24] = 1.0
    region = np.array([[6, 5, 42, 35]])
    masks, scores, stats = sample_region_masks(_sample(img, probs, region))

    def iou(m):
        return (m & truth).sum() / (m | truth).sum()

    assert iou(masks[0]) < 0.4
    # every box pixel GrabCut's, whatever the agreement
    grow = dict(type='GrabCutRefine', bg_thr=0, min_agreement=0)
    refined, _, stats = sample_region_masks(
        _sample(img, probs, region, refine=grow))
    assert iou(refined[0]) > 0.9 and not stats
    # the same redraw, gated: its IoU with the network's mask is
    # 144 / (20 * 24) = 0.3 < 0.7, so the network's mask stays
    gated, gated_scores, stats = sample_region_masks(_sample(
        img, probs, region, refine=dict(grow, min_agreement=0.7)))
    np.testing.assert_array_equal(gated[0], masks[0])
    assert stats == {'refine_disagree': 1}
    # the mask kept, its score is the network's certainty times GrabCut's
    # agreement with it (the same seeds: GrabCut's mask is `refined`)
    agreement = (refined[0] & masks[0]).sum() / (refined[0] | masks[0]).sum()
    assert 0.25 < agreement < 0.4 and 0.5 < scores[0] <= 1
    assert gated_scores[0] == pytest.approx(scores[0] * agreement)
    # deterministic, whatever ran before
    again, _, _ = sample_region_masks(_sample(img, probs, region,
                                              refine=grow))
    np.testing.assert_array_equal(again[0], refined[0])
    # the default (bg_thr 0.3) leaves what the network calls background
    # (p = 0 around the square) alone: the mask cannot leave the square
    kept, _, stats = sample_region_masks(
        _sample(img, probs, region, refine=dict(type='GrabCutRefine')))
    assert stats['refine_fallback'] == 0
    assert kept[0].any() and not kept[0][probs[0] < 0.3].any()
    # a box below min_size (side sqrt(1 * 9) = 3 px) keeps the thresholded
    # map, and so does one GrabCut cannot run on (thinner than 2 px)
    for min_size, outcome in ((32, 'refine_small'), (0, 'refine_fallback')):
        tiny = sample_region_masks(
            _sample(img, np.ones((1, 2, 2), np.float32),
                    np.array([[0, 0, 1, 9]]),
                    refine=dict(type='GrabCutRefine', min_size=min_size)))
        assert tiny[2] == {outcome: 1} and tiny[0][0].all()
    with pytest.raises(ValueError, match='keep_image'):
        sample_region_masks(dict(_sample(None, probs, region,
                                         refine=dict(type='GrabCutRefine'))))


def test_grabcut_refine_seeds():
    refine = GrabCutRefine(fg_thr=0.9)
    seeds = refine.seeds(np.array([[0.95, 0.7], [0.3, 0.5]]), 0.5)
    assert seeds.tolist() == [[cv2.GC_FGD, cv2.GC_PR_FGD],
                              [cv2.GC_PR_BGD, cv2.GC_PR_BGD]]
    sure_bg = GrabCutRefine(fg_thr=0.9, bg_thr=0.2)
    seeds = sure_bg.seeds(
        np.array([[0.95, 0.7], [0.1, 0.2], [0.3, 0.5]]), 0.5)
    assert seeds.tolist() == [[cv2.GC_FGD, cv2.GC_PR_FGD],
                              [cv2.GC_BGD, cv2.GC_PR_BGD],
                              [cv2.GC_PR_BGD, cv2.GC_PR_BGD]]
    with pytest.raises(ValueError, match='fg_thr=0.2'):
        GrabCutRefine(fg_thr=0.2, bg_thr=0.3)
    with pytest.raises(ValueError, match='min_agreement=1.5'):
        GrabCutRefine(min_agreement=1.5)
    with pytest.raises(ValueError, match='min_size=-1'):
        GrabCutRefine(min_size=-1)
    with pytest.raises(ValueError, match='test_cfg.mask_thr'):
        GrabCutRefine(bg_thr=0.3).seeds(np.zeros((2, 2)), 0.2)


def test_refinement_starts_from_the_model_mask_thr():
    """One threshold per mask: the sample's ``mask_thr`` (the model's
    ``test_cfg.mask_thr``) splits probable fore- from background and is
    the mask a refinement falls back to."""
    prob = np.array([[0.95, 0.45], [0.35, 0.1]])
    refine = GrabCutRefine()
    assert refine.seeds(prob, 0.4)[0, 1] == cv2.GC_PR_FGD
    assert refine.seeds(prob, 0.5)[0, 1] == cv2.GC_PR_BGD
    # a box too thin for GrabCut keeps the thresholded map
    img = np.zeros((12, 12, 3), np.uint8)
    probs = np.linspace(0, 1, 8, dtype=np.float32).reshape(1, 8, 1)
    region = np.array([[0, 0, 1, 8]])
    masks = {}
    for thr in (0.4, 0.6):
        masks[thr], _, stats = sample_region_masks(_sample(
            img, probs, region,
            refine=dict(type='GrabCutRefine', min_size=0), thr=thr))
        assert stats['refine_fallback'] == 1
    assert masks[0.4][0][:, 0].tolist() == [False] * 3 + [True] * 5
    assert masks[0.6][0][:, 0].tolist() == [False] * 5 + [True] * 3


def _two_objects(hesitant):
    """A 40 x 40 object and a 10 x 10 one on a textured 100 x 100 image,
    their boxes with 2 px margin, and the network's maps (at the large
    box's 44 x 44): sure (1) inside the object but two pixels short on
    every side, and there ``hesitant``."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, (100, 100, 3), dtype=np.uint8)
    img[20:60, 20:60] = (40, 200, 230)
    img[80:90, 80:90] = (40, 200, 230)
    regions = np.array([[18, 18, 62, 62], [78, 78, 92, 92]])
    p = np.zeros((44, 44), np.float32)
    p[2:42, 2:42] = hesitant
    p[4:40, 4:40] = 1.0
    return img, regions, np.stack([p, p])


def test_refinement_is_decided_per_box():
    """Of one image's boxes, the large one whose refined mask keeps most of
    the network's is refined; the small one (side below ``min_size``)
    keeps the network's mask untouched."""
    # the two pixels short: 0.35, probable background for GrabCut (between
    # bg_thr 0.3 and mask_thr 0.4)
    img, regions, probs = _two_objects(hesitant=0.35)
    base, _, _ = sample_region_masks(_sample(img, probs, regions, thr=0.4))
    masks, _, stats = sample_region_masks(_sample(
        img, probs, regions, refine=dict(type='GrabCutRefine'), thr=0.4))
    assert stats == {'refine_small': 1}  # the large box was refined
    np.testing.assert_array_equal(masks[1], base[1])
    # with min_size 64 both boxes keep the network's mask, but GrabCut
    # still runs for the scores: the network's certainty times GrabCut's
    # agreement (IoU 0.81 for the large box; the small one's is redrawn
    # the same, 1)
    _, base_scores, _ = sample_region_masks(_sample(img, probs, regions,
                                                    thr=0.4))
    kept, scores, stats = sample_region_masks(_sample(
        img, probs, regions, refine=dict(type='GrabCutRefine', min_size=64),
        thr=0.4))
    assert stats == {'refine_small': 2}
    np.testing.assert_array_equal(kept[0], base[0])
    np.testing.assert_allclose(scores, base_scores * [0.81, 1.0])
    truth = np.zeros((44, 44), bool)
    truth[2:42, 2:42] = True

    def iou(m):
        return (m & truth).sum() / (m | truth).sum()

    # GrabCut grew the mask to the object's edges (IoU with the network's
    # 36 * 36 / 40 * 40 = 0.81 >= min_agreement)
    assert iou(base[0]) == pytest.approx(0.81) and iou(masks[0]) > 0.95
    # with min_size 0 the small box is refined too
    _, _, stats = sample_region_masks(_sample(
        img, probs, regions,
        refine=dict(type='GrabCutRefine', min_size=0), thr=0.4))
    assert 'refine_small' not in stats


def test_max_side_runs_grabcut_on_a_smaller_window(monkeypatch):
    """``max_side``: a window longer than it is cut at that scale for
    GrabCut, its labels brought back to the box's pixels; a window that
    fits runs at full resolution, bit for bit as without the option."""
    from mmboxcaseg.models.task_modules import grab_cut
    img, regions, probs = _two_objects(hesitant=0.35)
    seen = []
    real = grab_cut.cv2.grabCut

    def spy(window, mask, *args):
        seen.append(window.shape[:2])
        return real(window, mask, *args)

    monkeypatch.setattr(grab_cut.cv2, 'grabCut', spy)

    def run(**kw):
        seen.clear()
        masks, scores, stats = sample_region_masks(_sample(
            img, probs, regions, refine=dict(type='GrabCutRefine', **kw),
            thr=0.4))
        return masks, scores, stats, list(seen)

    full, full_scores, _, windows = run()
    # the large box 18..62 and 25 % margin: window 7..73, 66 x 66 px
    assert windows[0] == (66, 66)
    fits, fits_scores, _, same = run(max_side=66)
    assert same == windows
    for a, b in zip(full, fits):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(full_scores, fits_scores)
    half, _, stats, small = run(max_side=33)
    assert small[0] == (33, 33) and small[1] == windows[1]
    assert stats == {'refine_small': 1}
    # refined at half the resolution, the mask still follows the object:
    # the box's 44 x 44 pixels, the object 2..42 in each direction
    truth = np.zeros((44, 44), bool)
    truth[2:42, 2:42] = True
    assert half[0].shape == (44, 44)
    assert (half[0] & truth).sum() / (half[0] | truth).sum() > 0.9
    with pytest.raises(ValueError, match='max_side=4'):
        GrabCutRefine(max_side=4)


def test_a_quality_head_score_skips_grabcut_on_small_boxes(monkeypatch):
    """Where a quality head gives the scores, GrabCut's agreement is not
    needed: boxes kept for their size skip GrabCut; the masks are the
    same as with the agreement computed, the scores the head's times
    the crowding and fill factors."""
    import mmboxcaseg.models.task_modules.grab_cut as grab_cut
    img, regions, probs = _two_objects(hesitant=0.0)
    calls = []
    real = grab_cut.grabcut_region

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(grab_cut, 'grabcut_region', counted)
    refine = dict(type='GrabCutRefine')  # min_size 32: the 14 px box small
    masks, _, stats = sample_region_masks(
        _sample(img, probs, regions, refine=refine))
    assert len(calls) == 2 and stats == {'refine_small': 1}
    calls.clear()
    sample = dict(_sample(img, probs, regions, refine=refine),
                  pred_quality=[0.7, 0.2])
    head_masks, scores, head_stats = sample_region_masks(sample)
    assert [list(r) for r in calls] == [[18, 18, 62, 62]]
    assert head_stats == stats
    # the head's predictions times the fill factors (the boxes are apart)
    np.testing.assert_allclose(scores, [0.7, 0.2] * fill_factor(head_masks))
    assert 0 < scores[0] < 0.7 and 0 < scores[1] < 0.2
    for a, b in zip(masks, head_masks):
        np.testing.assert_array_equal(a, b)


def test_a_box_overlapping_another_scores_lower():
    """The score is the certainty times ``1 -`` the box's largest IoU with
    another box times the fill factor: two boxes overlapping by half (IoU
    1/3) keep 2/3 of it, the same maps in boxes apart keep all of it. The
    sure maps (certainty 1) fill 36 of each box's 100 pixels."""
    p = np.zeros((2, 10, 10), np.float32)
    p[:, 2:8, 2:8] = 1.0
    apart, apart_scores, _ = sample_region_masks(
        _sample(None, p, np.array([[0, 0, 10, 10], [20, 0, 30, 10]])))
    near, near_scores, _ = sample_region_masks(
        _sample(None, p, np.array([[0, 0, 10, 10], [5, 0, 15, 10]])))
    for a, b in zip(apart, near):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(apart_scores, [0.36**0.25] * 2)
    np.testing.assert_allclose(near_scores, apart_scores * 2 / 3)


def test_fill_factor_is_the_fourth_root_of_the_box_share():
    full = np.ones((4, 5), bool)
    half = np.zeros((4, 5), bool)
    half[:2] = True
    sixteenth = np.zeros((4, 4), bool)
    sixteenth[0, 0] = True
    np.testing.assert_allclose(
        fill_factor([full, half, sixteenth,
                     np.zeros((3, 3), bool),
                     np.zeros((0, 4), bool)]),
        [1.0, 0.5**0.25, 0.5, 0.0, 0.0])
    assert fill_factor([]).shape == (0, )
