import pytest
import torch
import torch.nn.functional as F

from mmboxcaseg.models.heads import BoxCasegHead, TransferredHead


def test_boxcaseg_head_structure_and_init():
    torch.manual_seed(0)
    head = BoxCasegHead(in_channels=64)
    assert head.conv1.weight.shape == (64, 64, 1, 1)
    assert head.conv2.weight.shape == (1, 64, 1, 1)
    assert head.conv1.weight.std().item() == pytest.approx(0.001, rel=0.05)
    assert torch.count_nonzero(head.conv1.bias) == 0
    assert torch.count_nonzero(head.conv2.bias) == 0
    head.eval()
    x = torch.randn(2, 64, 5, 6)
    ref = head.conv2(F.relu(head.bn(head.conv1(x))))
    assert torch.allclose(head(x), ref)
    assert head(x).shape == (2, 1, 5, 6)


def test_transferred_head_uses_transferred_weights():
    weak = BoxCasegHead(in_channels=8).eval()
    trans = TransferredHead(in_channels=8).eval()
    assert not any('conv' in name for name, _ in trans.named_parameters())
    x = torch.randn(2, 8, 3, 3)
    w1, b1 = trans.transfer1(weak.conv1.weight, weak.conv1.bias)
    w2, b2 = trans.transfer2(weak.conv2.weight, weak.conv2.bias)
    ref = F.conv2d(F.relu(trans.bn(F.conv2d(x, w1, b1))), w2, b2)
    assert torch.allclose(trans(x, weak), ref, atol=1e-6)


def test_gradient_stops_at_the_weak_head():
    torch.manual_seed(0)
    weak = BoxCasegHead(in_channels=8)
    with torch.no_grad():
        weak.conv1.bias.normal_()
        weak.conv2.bias.normal_()
    trans = TransferredHead(in_channels=8)
    feats = torch.randn(2, 8, 4, 4, requires_grad=True)
    trans(feats, weak).square().mean().backward()
    assert all(p.grad is None for p in weak.parameters())
    for name, p in trans.named_parameters():
        assert p.grad is not None, name
        # (conv1's bias is cancelled by the training-mode BN after it)
        if 'transfer1.bias' not in name:
            assert torch.count_nonzero(p.grad) > 0, name
    # the features (hence the backbone) still get a gradient
    assert feats.grad is not None and torch.count_nonzero(feats.grad) > 0
