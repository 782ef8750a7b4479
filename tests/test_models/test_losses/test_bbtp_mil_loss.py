import math

import pytest
import torch

from mmboxcaseg.models.losses import BBTPMILLoss, bag_max


def softplus(x):
    return math.log1p(math.exp(x))


def test_bag_max_columns_then_rows():
    maps = torch.tensor([[0., 1., -1.], [2., -2., 0.]]).view(1, 1, 2, 3)
    # 3 column maxima, then 2 row maxima
    assert bag_max(maps).tolist() == [[2., 1., 0., 1., 2.]]


def test_mil_loss_hand_computed_3x3():
    logits = torch.tensor([[0., 1., -1.], [2., -2., 0.],
                           [0., 0., 3.]]).view(1, 1, 3, 3)
    label = torch.tensor([[1, 1, 0], [1, 1, 0], [0, 0, 0]],
                         dtype=torch.uint8).view(1, 1, 3, 3)
    # columns: max 2, 1, 3 with labels 1, 1, 0; rows: max 1, 2, 3 with 1, 1, 0
    # BCE(x, 1) = softplus(-x), BCE(x, 0) = softplus(x)
    expected = (2 * softplus(-2) + 2 * softplus(-1) + 2 * softplus(3)) / 6
    loss = BBTPMILLoss()(logits, label)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert BBTPMILLoss(loss_weight=2.)(logits, label).item() == \
        pytest.approx(2 * expected, rel=1e-6)


def test_mil_loss_hand_computed_4x4_batch_mean():
    a = torch.full((4, 4), -1.)
    a[1, 2] = 4.  # the only high logit: row 1, column 2
    b = torch.zeros(4, 4)
    label_a = torch.zeros(4, 4)
    label_a[1:3, 1:3] = 1  # rows 1, 2 and columns 1, 2 positive
    label_b = torch.ones(4, 4)
    logits = torch.stack([a, b])[:, None]
    label = torch.stack([label_a, label_b])[:, None]
    # image a, columns: -1 (neg), -1 (pos), 4 (pos), -1 (neg);
    #          rows:    -1 (neg), 4 (pos), -1 (pos), -1 (neg)
    bags_a = [softplus(-1), softplus(1), softplus(-4), softplus(-1)] * 2
    # image b: 8 positive bags of logit 0
    bags_b = [math.log(2)] * 8
    expected = sum(bags_a + bags_b) / 16
    assert BBTPMILLoss()(logits, label).item() == pytest.approx(
        expected, rel=1e-6)


def test_box_covering_whole_crop_is_finite():
    logits = torch.full((2, 1, 4, 4), -200., requires_grad=True)
    label = torch.ones(2, 1, 4, 4)
    loss = BBTPMILLoss()(logits, label)
    loss.backward()
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(200., rel=1e-5)
    assert torch.isfinite(logits.grad).all()


def test_gradient_reaches_only_bag_maxima():
    logits = torch.tensor([[5., 0., -1.], [-2., -3., 2.],
                           [-4., 1., -5.]]).view(1, 1, 3, 3)
    logits.requires_grad_(True)
    label = torch.zeros(1, 1, 3, 3)
    BBTPMILLoss()(logits, label).backward()
    # column maxima at (0,0), (2,1), (1,2); row maxima at the same pixels
    expected = torch.zeros(3, 3, dtype=torch.bool)
    expected[0, 0] = expected[2, 1] = expected[1, 2] = True
    assert torch.equal(logits.grad[0, 0] != 0, expected)


def test_logits_upsampled_to_label_size():
    logits = torch.zeros(1, 1, 2, 2)
    label = torch.zeros(1, 1, 8, 8)
    label[..., 2:4, 2:4] = 1
    # zero logits: every bag scores log(2)
    assert BBTPMILLoss()(logits, label).item() == pytest.approx(math.log(2))


def test_bad_label_shape_is_reported():
    with pytest.raises(ValueError, match=r'\[N, 1, H, W\]'):
        BBTPMILLoss()(torch.zeros(1, 1, 3, 3), torch.zeros(3, 3))
