import pytest
import torch

from mmboxcaseg.models.necks import UpsampleConcat


def test_concat_upsamples_to_the_first_map():
    maps = [
        torch.randn(2, 3, 8, 8),
        torch.full((2, 5, 4, 4), 2.),
        torch.randn(2, 7, 2, 2),
        torch.full((2, 1, 1, 1), -1.)
    ]
    neck = UpsampleConcat(in_channels=[3, 5, 7, 1])
    assert neck.out_channels == 16
    (out, ) = neck(maps)
    assert out.shape == (2, 16, 8, 8)
    assert torch.equal(out[:, :3], maps[0])
    assert torch.allclose(out[:, 3:8], torch.full((2, 5, 8, 8), 2.))
    assert torch.allclose(out[:, 15], torch.full((2, 8, 8), -1.))


def test_channel_mismatch_is_reported():
    with pytest.raises(ValueError, match='channels'):
        UpsampleConcat(in_channels=[3, 4])(
            [torch.zeros(1, 3, 4, 4),
             torch.zeros(1, 5, 2, 2)])


def test_with_mmpretrain_hrnet_w18_channels():
    from mmboxcaseg.registry import MODELS
    import mmboxcaseg.models  # noqa: F401
    hrnet = MODELS.build(dict(type='mmpretrain.HRNet', arch='w18'))
    hrnet.eval()  # (mmpretrain's HRNet.train returns None)
    with torch.no_grad():
        maps = hrnet(torch.zeros(1, 3, 64, 64))
    assert [m.shape[1] for m in maps] == [18, 36, 72, 144]
    (out, ) = UpsampleConcat(in_channels=[18, 36, 72, 144])(maps)
    assert out.shape == (1, 270, 16, 16)


def test_reduce_channels_projects_after_concat():
    import torch

    from mmboxcaseg.models.necks import UpsampleConcat
    neck = UpsampleConcat(in_channels=[4, 6], reduce_channels=3)
    assert neck.out_channels == 3
    x = [torch.randn(2, 4, 8, 8), torch.randn(2, 6, 4, 4)]
    (out, ) = neck(x)
    assert out.shape == (2, 3, 8, 8)
    assert (out >= 0).all()  # ReLU at the end
    # the projection sees the concatenation: its conv takes 10 channels
    assert neck.reduce.conv.in_channels == 10


def test_reduce_channels_needs_in_channels():
    import pytest

    from mmboxcaseg.models.necks import UpsampleConcat
    with pytest.raises(ValueError, match='needs in_channels'):
        UpsampleConcat(reduce_channels=8)


@pytest.mark.parametrize('norm_cfg', [dict(type='BN'), None])
def test_reduce_equals_the_projection_of_the_concatenation(norm_cfg):
    """Projected per map and upsampled: the function (outputs and the
    gradients of the inputs and of every parameter) of ``reduce(cat(up))``
    with the paper's concatenation built explicitly."""
    import torch.nn.functional as F
    torch.manual_seed(0)
    neck = UpsampleConcat(
        in_channels=[4, 6, 5], reduce_channels=3, norm_cfg=norm_cfg)
    if norm_cfg is None:  # a conv bias takes the norm's place
        assert neck.reduce.conv.bias is not None
        torch.nn.init.normal_(neck.reduce.conv.bias)
    for training in (True, False):
        neck.train(training)
        x = [
            torch.randn(2, 4, 8, 8, requires_grad=True),
            torch.randn(2, 6, 4, 4, requires_grad=True),
            torch.randn(2, 5, 3, 3, requires_grad=True)
        ]
        (out, ) = neck(x)
        grads = torch.autograd.grad(out.square().sum(),
                                    x + list(neck.parameters()))
        cat = torch.cat([x[0]] + [
            F.interpolate(m, (8, 8), mode='bilinear', align_corners=False)
            for m in x[1:]
        ], 1)
        ref = neck.reduce(cat)
        ref_grads = torch.autograd.grad(ref.square().sum(),
                                        x + list(neck.parameters()))
        assert out.shape == ref.shape == (2, 3, 8, 8)
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-5)


def test_state_dict_keys_do_not_name_the_class():
    """Checkpoints hold the projection as ``reduce.conv`` / ``reduce.bn``
    (``neck.`` in a segmentor): renaming the class keeps them loadable."""
    neck = UpsampleConcat(in_channels=[4, 6], reduce_channels=3)
    assert sorted(neck.state_dict()) == [
        'reduce.bn.bias', 'reduce.bn.num_batches_tracked',
        'reduce.bn.running_mean', 'reduce.bn.running_var', 'reduce.bn.weight',
        'reduce.conv.weight'
    ]
    assert UpsampleConcat(in_channels=[4, 6]).state_dict() == {}
