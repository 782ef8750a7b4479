import math

import pytest
import torch

from mmboxcaseg.models.losses import ColorPairwiseLoss, rgb_to_lab


def sig(v):
    return 1 / (1 + math.exp(-v))


def test_rgb_to_lab_known_colours():
    rgb = torch.tensor([[255., 255., 255.], [0., 0., 0.], [255., 0., 0.],
                        [0., 0., 255.]]).t().reshape(1, 3, 1, 4)
    lab = rgb_to_lab(rgb)[0, :, 0].t()
    # skimage.color.rgb2lab of white, black, red and blue
    expected = torch.tensor([[100., 0., 0.], [0., 0., 0.],
                             [53.24, 80.09, 67.20], [32.30, 79.19, -107.86]])
    assert torch.allclose(lab, expected, atol=0.05)


def _row(colours):
    """1 x 3 x 1 x W image from a list of RGB triples."""
    return torch.tensor(colours, dtype=torch.float32).t().reshape(1, 3, 1, -1)


def test_hand_computed_row():
    # colours A A B: only the edges 0-1 and 1-0 are similar (dilation 1)
    img = _row([[200, 30, 30], [200, 30, 30], [20, 20, 220]])
    box = torch.ones(1, 1, 1, 3)
    loss = ColorPairwiseLoss(dilation=1)
    zero = loss(torch.zeros(1, 1, 1, 3), img, box)
    assert zero.item() == pytest.approx(math.log(2), rel=1e-5)
    a, b, c = 2.0, -1.0, 5.0
    logits = torch.tensor([a, b, c]).reshape(1, 1, 1, 3)
    p = sig(a) * sig(b) + (1 - sig(a)) * (1 - sig(b))
    # both edges have the same P; the dissimilar pixel c does not count
    assert loss(logits, img, box).item() == pytest.approx(-math.log(p),
                                                          rel=1e-5)
    assert ColorPairwiseLoss(loss_weight=0.5, dilation=1)(
        logits, img, box).item() == pytest.approx(-0.5 * math.log(p),
                                                  rel=1e-5)


def test_only_edges_whose_centre_is_in_the_box():
    img = _row([[90, 90, 90]] * 3)  # all similar
    logits = torch.tensor([3.0, -2.0, 0.0]).reshape(1, 1, 1, 3)
    box = torch.tensor([0., 0., 1.]).reshape(1, 1, 1, 3)
    # centre 2 only: its edge 2-1 (dx = -1)
    p = sig(0.0) * sig(-2.0) + (1 - sig(0.0)) * (1 - sig(-2.0))
    got = ColorPairwiseLoss(dilation=1)(logits, img, box)
    assert got.item() == pytest.approx(-math.log(p), rel=1e-5)
    # no box: no edge, zero loss that still has a graph
    logits.requires_grad_(True)
    none = ColorPairwiseLoss(dilation=1)(logits, img, torch.zeros_like(box))
    assert none.item() == 0.0
    none.backward()
    assert logits.grad is not None


def test_dilation_and_pooling_to_the_logits():
    # a 4 x 4 image of two flat halves pooled to 2 x 2 logits: with
    # dilation 1 the similar edges are the vertical ones inside each half
    img = torch.zeros(1, 3, 4, 4)
    img[:, :, :, :2] = 250.
    logits = torch.tensor([[4.0, -4.0], [4.0, -4.0]]).reshape(1, 1, 2, 2)
    loss = ColorPairwiseLoss(dilation=1)(logits, img, torch.ones(1, 1, 4, 4))
    p = sig(4.0)**2 + (1 - sig(4.0))**2  # same for both halves
    assert loss.item() == pytest.approx(-math.log(p), rel=1e-5)
    # dilation 2 on a 2 x 2 map leaves no edge
    assert ColorPairwiseLoss(dilation=2)(logits, img, torch.ones(
        1, 1, 4, 4)).item() == 0.0


def test_warmup_ramp():
    loss = ColorPairwiseLoss(warmup_iters=100, dilation=1)
    assert loss.ramp(0) == 0.0 and loss.ramp(25) == 0.25
    assert loss.ramp(500) == 1.0
    assert ColorPairwiseLoss().ramp(0) == 1.0
    img = _row([[10, 10, 10]] * 2)
    logits = torch.zeros(1, 1, 1, 2)
    box = torch.ones(1, 1, 1, 2)
    assert loss(logits, img, box, it=50).item() == pytest.approx(
        0.5 * math.log(2), rel=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        ColorPairwiseLoss(theta=0)
    with pytest.raises(ValueError, match='logits'):
        ColorPairwiseLoss()(torch.zeros(1, 2, 3, 3), torch.zeros(1, 3, 3, 3),
                            torch.zeros(1, 1, 3, 3))
