import pytest
import torch

from mmboxcaseg.models.layers import WeightTransfer


def test_shapes_and_mlp_sizes():
    wt = WeightTransfer(in_features=12)
    assert [tuple(p.shape) for p in wt.mlp.parameters()] == [(48, 12), (48, ),
                                                             (12, 48), (12, )]
    weight = torch.randn(5, 3, 2, 2)  # d = 3 * 2 * 2 = 12
    new_weight, new_bias = wt(weight, torch.randn(5))
    assert new_weight.shape == weight.shape and new_bias.shape == (5, )
    assert wt(weight)[1] is None


def test_rows_are_transferred_independently():
    torch.manual_seed(0)
    wt = WeightTransfer(in_features=8)
    weight = torch.randn(6, 8, 1, 1)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    out = wt(weight)[0]
    out_perm = wt(weight[perm])[0]
    assert torch.allclose(out[perm], out_perm, atol=1e-7)
    # the MLP by hand: Linear -> LeakyReLU(0.1) -> Linear on each row
    lin1, act, lin2 = wt.mlp
    assert act.negative_slope == 0.1
    hidden = weight.flatten(1) @ lin1.weight.t() + lin1.bias
    hidden = torch.where(hidden > 0, hidden, 0.1 * hidden)
    rows = hidden @ lin2.weight.t() + lin2.bias
    assert torch.allclose(out.flatten(1), rows, atol=1e-6)


def test_bias_is_scaled_and_shifted():
    wt = WeightTransfer(in_features=4)
    bias = torch.tensor([1., -2., 3.])
    assert torch.equal(wt(torch.randn(3, 4, 1, 1), bias)[1], bias)  # init
    with torch.no_grad():
        wt.bias_scale.fill_(2.)
        wt.bias_shift.fill_(0.5)
    assert torch.allclose(
        wt(torch.randn(3, 4, 1, 1), bias)[1], torch.tensor([2.5, -3.5, 6.5]))


def test_init_normal_std():
    torch.manual_seed(0)
    wt = WeightTransfer(in_features=64)
    w = wt.mlp[0].weight  # 256 x 64 values
    assert abs(w.mean().item()) < 1e-3
    assert w.std().item() == pytest.approx(0.01, rel=0.05)
    assert wt.mlp[2].bias.std().item() == pytest.approx(0.01, rel=0.5)


def test_inputs_are_detached_gradient_reaches_mlp_only():
    wt = WeightTransfer(in_features=4)
    weight = torch.randn(2, 4, 1, 1, requires_grad=True)
    bias = torch.randn(2, requires_grad=True)
    new_weight, new_bias = wt(weight, bias)
    (new_weight.sum() + new_bias.sum()).backward()
    assert weight.grad is None and bias.grad is None
    assert all(p.grad is not None for p in wt.parameters())


def test_wrong_row_length_is_reported():
    with pytest.raises(ValueError, match='C_in\\*k\\*k'):
        WeightTransfer(in_features=4)(torch.randn(2, 3, 1, 1))
