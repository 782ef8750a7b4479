import pytest
import torch

from mmboxcaseg.models.losses import (BBTPPairwiseLoss, neighbour_square_sum,
                                      outside_neighbour_count)

BIG = 100.  # sigmoid(100) == 1, sigmoid(-100) ~ 0 in float32


def reference_pairwise(probs):
    """Loop-per-direction, loop-per-pixel reference of the same formula."""
    n, _, h, w = probs.shape
    per_dir = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == dx == 0:
                continue
            total = 0.
            for b in range(n):
                for y in range(h):
                    for x in range(w):
                        yy, xx = y + dy, x + dx
                        nb = probs[b, 0, yy, xx] if 0 <= yy < h and \
                            0 <= xx < w else 0.
                        total += float(probs[b, 0, y, x] - nb)**2
            per_dir.append(total / (n * h * w))
    return sum(per_dir) / 8


def test_single_foreground_pixel_3x3():
    logits = torch.full((1, 1, 3, 3), -BIG)
    logits[0, 0, 1, 1] = BIG
    # per direction: the centre and the pixel whose neighbour is the centre
    # differ by 1 -> 2 / 9; mean over directions 2 / 9; times 0.05
    assert BBTPPairwiseLoss()(logits).item() == pytest.approx(
        0.05 * 2 / 9, rel=1e-5)


def test_all_foreground_3x3_sees_zero_padding():
    logits = torch.full((1, 1, 3, 3), BIG)
    # axial directions: 3 border pixels each; diagonals: 5 each
    expected = 0.05 * (4 * 3 + 4 * 5) / (8 * 9)
    assert BBTPPairwiseLoss()(logits).item() == pytest.approx(
        expected, rel=1e-5)
    assert BBTPPairwiseLoss(loss_weight=1.)(logits).item() == pytest.approx(
        expected / 0.05, rel=1e-5)


def test_matches_loop_reference_on_4x4_batch():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 1, 4, 4, generator=gen)
    expected = 0.05 * reference_pairwise(logits.sigmoid())
    assert BBTPPairwiseLoss()(logits).item() == pytest.approx(
        expected, rel=1e-5)


def test_outside_neighbour_count():
    assert outside_neighbour_count(3, 4).tolist() == [[5, 3, 3,
                                                       5], [3, 0, 0, 3],
                                                      [5, 3, 3, 5]]
    # one pixel thin: 6 of 8 neighbours outside, 7 at the ends
    assert outside_neighbour_count(1, 3).tolist() == [[7, 6, 7]]
    assert outside_neighbour_count(1, 1).tolist() == [[8]]


@pytest.mark.parametrize('shape', [(1, 1, 1, 1), (1, 1, 1, 4), (3, 1, 2, 5)])
def test_square_sum_matches_loop_reference_on_thin_maps(shape):
    gen = torch.Generator().manual_seed(2)
    probs = torch.rand(shape, generator=gen)
    expected = 8 * probs.numel() * reference_pairwise(probs)
    assert neighbour_square_sum(probs).item() == pytest.approx(
        expected, rel=1e-5)


def test_constant_interior_has_no_interior_penalty():
    logits = torch.full((1, 1, 5, 5), BIG, requires_grad=True)
    BBTPPairwiseLoss()(logits).backward()
    assert torch.isfinite(logits.grad).all()


def test_bad_shape_is_reported():
    with pytest.raises(ValueError, match='BBTPPairwiseLoss'):
        BBTPPairwiseLoss()(torch.zeros(1, 2, 3, 3))
