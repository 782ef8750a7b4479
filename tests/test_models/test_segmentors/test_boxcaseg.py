import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement

import mmboxcaseg.models  # noqa: F401
from mmboxcaseg.registry import MODELS

SIZE = 32


def make_batch(sources, seed=0):
    """uint8 BGR images and samples with a box label (or a mask)."""
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i, source in enumerate(sources):
        inputs.append(
            torch.randint(
                0, 256, (3, SIZE, SIZE), generator=gen, dtype=torch.uint8))
        label = torch.zeros(1, SIZE, SIZE, dtype=torch.uint8)
        label[:, 4 + i:20, 6:26 - i] = 1
        sample = BaseDataElement(metainfo=dict(source=source))
        sample.gt_label = label
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build(cfg, **kwargs):
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_loss_keys_and_every_parameter_gets_a_gradient(tiny_cfg):
    model = build(tiny_cfg)
    data = model.data_preprocessor(make_batch(['box', 'salient', 'box']), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_mil', 'loss_pairwise', 'loss_pixel'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert no_grad == []


def test_loss_values_follow_the_formulas(tiny_cfg):
    model = build(tiny_cfg, salient_weight=0.3)
    data = model.data_preprocessor(
        make_batch(['salient', 'box', 'salient']), True)
    inputs = data['inputs']
    labels = torch.stack([s.gt_label for s in data['data_samples']]).float()
    losses = model.loss(inputs, data['data_samples'])
    feat = model.extract_feat(inputs)
    up = lambda x: F.interpolate(  # noqa: E731
        x, (SIZE, SIZE), mode='bilinear', align_corners=False)
    mixed = 0.3 * model.salient_head(feat) + 0.7 * model.transferred_head(
        feat, model.weak_head)
    expected_pixel = F.binary_cross_entropy_with_logits(
        up(mixed)[[0, 2]], labels[[0, 2]])
    assert losses['loss_pixel'].item() == pytest.approx(
        expected_pixel.item(), rel=1e-5)
    weak = up(model.weak_head(feat))
    assert losses['loss_mil'].item() == pytest.approx(
        model.mil_loss(weak, labels).item(), rel=1e-6)
    assert losses['loss_pairwise'].item() == pytest.approx(
        model.pairwise_loss(weak).item(), rel=1e-6)


def test_batch_without_salient_sample_gives_zero_pixel_loss(tiny_cfg):
    model = build(tiny_cfg)
    data = model.data_preprocessor(make_batch(['box', 'box']), True)
    losses = model(**data, mode='loss')
    assert losses['loss_pixel'].item() == 0
    sum(losses.values()).backward()
    assert model.salient_head.conv1.weight.grad is not None
    assert torch.count_nonzero(model.salient_head.conv1.weight.grad) == 0


def test_transferred_loss_does_not_reach_the_weak_head(tiny_cfg):
    model = build(tiny_cfg, salient_head=None)
    data = model.data_preprocessor(make_batch(['salient'] * 2), True)
    model(**data, mode='loss')['loss_pixel'].backward()
    assert all(p.grad is None for p in model.weak_head.parameters())
    assert model.transferred_head.transfer1.mlp[0].weight.grad is not None
    assert model.backbone.conv1.weight.grad is not None


def test_weak_head_registered_once(tiny_cfg):
    model = build(tiny_cfg)
    keys = model.state_dict().keys()
    assert not any(k.startswith('transferred_head.weak') for k in keys)
    assert sum(k.startswith('weak_head.') for k in keys) == 9


def test_ablation_heads_and_pred_choices(tiny_cfg):
    with pytest.raises(ValueError, match="pred='mixed'"):
        build(dict(tiny_cfg), salient_head=None, transferred_head=None)
    weak_only = build(
        dict(tiny_cfg),
        salient_head=None,
        transferred_head=None,
        test_cfg=dict(pred='weak'))
    data = weak_only.data_preprocessor(make_batch(['salient', 'box']), True)
    assert set(weak_only(**data, mode='loss')) == {'loss_mil', 'loss_pairwise'}
    with pytest.raises(ValueError, match='one of'):
        build(dict(tiny_cfg), test_cfg=dict(pred='best'))
    # Table 4, "salient head only": no weak head, pixel loss only
    salient_only = build(dict(tiny_cfg), weak_head=None, transferred_head=None)
    assert set(salient_only(**data, mode='loss')) == {'loss_pixel'}
    with pytest.raises(ValueError, match="pred='weak'"):
        build(
            dict(tiny_cfg),
            weak_head=None,
            transferred_head=None,
            test_cfg=dict(pred='weak'))
    with pytest.raises(ValueError, match='needs a weak_head'):
        build(dict(tiny_cfg), weak_head=None)

    model = build(tiny_cfg).eval()
    x = data['inputs']
    with torch.no_grad():
        feat = model.extract_feat(x)
        heads = [
            model.head_logits(feat, p)
            for p in ('weak', 'salient', 'transferred', 'mixed', 'all')
        ]
    weak, sal, trans, mixed, mean = heads
    assert torch.allclose(mixed, 0.7 * sal + 0.3 * trans, atol=1e-6)
    assert torch.allclose(mean, (weak + sal + trans) / 3, atol=1e-6)
    salient_only = build(dict(tiny_cfg), transferred_head=None).eval()
    with torch.no_grad():
        feat = salient_only.extract_feat(x)
        assert torch.equal(
            salient_only.head_logits(feat, 'mixed'),
            salient_only.salient_head(feat))


def test_predict_and_tensor_modes(tiny_cfg):
    import numpy as np
    model = build(tiny_cfg).eval()
    gen = torch.Generator().manual_seed(1)
    crops = [torch.randint(0, 256, (k, 3, SIZE, SIZE), generator=gen,
                           dtype=torch.uint8) for k in (2, 0, 3)]
    samples = [BaseDataElement(regions=np.zeros((k, 4)))
               for k in (2, 0, 3)]
    batch = dict(inputs=crops, data_samples=samples)
    with torch.no_grad():
        out = model.test_step(batch)
        data = model.data_preprocessor(batch, False)
        logits = model(data['inputs'], mode='tensor')
    assert data['inputs'].shape == (5, 3, SIZE, SIZE)
    assert logits.shape == (5, 1, SIZE, SIZE)
    assert [o.pred_probs.shape for o in out] == [(2, SIZE, SIZE),
                                                 (0, SIZE, SIZE),
                                                 (3, SIZE, SIZE)]
    np.testing.assert_allclose(
        out[2].pred_probs, logits[2:, 0].sigmoid().numpy(), rtol=1e-6)
    assert out[0].metainfo['mask_thr'] == 0.5
    # an image alone, or in chunks of one crop, gives the same bits
    alone = model.test_step(dict(inputs=crops[2:], data_samples=[
        BaseDataElement(regions=np.zeros((3, 4)))]))
    assert np.array_equal(alone[0].pred_probs, out[2].pred_probs)
    model.test_cfg['max_crops'] = 1
    chunked = model.test_step(dict(inputs=crops[2:], data_samples=[
        BaseDataElement(regions=np.zeros((3, 4)))]))
    np.testing.assert_allclose(chunked[0].pred_probs, out[2].pred_probs,
                               rtol=1e-5, atol=1e-7)
    # flip: the mean of the logits of the crops and of their mirror images
    model.test_cfg.update(flip=True, max_crops=64)
    x = data['inputs'][2:]
    with torch.no_grad():
        ref = (model(x, mode='tensor') +
               model(x.flip(-1), mode='tensor').flip(-1)) / 2
    flipped = model.test_step(dict(inputs=crops[2:], data_samples=[
        BaseDataElement(regions=np.zeros((3, 4)))]))
    np.testing.assert_allclose(flipped[0].pred_probs,
                               ref[:, 0].sigmoid().numpy(), rtol=1e-5)


def test_predict_probs_under_cpu_bf16_autocast(tiny_cfg):
    """bf16 on the CPU: float32 probabilities near the fp32 ones."""
    model = build(tiny_cfg).eval()
    gen = torch.Generator().manual_seed(2)
    crops = torch.randn(3, 3, SIZE, SIZE, generator=gen)
    ref = model.predict_probs(crops)
    model.test_cfg['autocast'] = 'bf16'
    low = model.predict_probs(crops)
    assert low.dtype == ref.dtype and low.shape == ref.shape == (3, SIZE,
                                                                 SIZE)
    # bf16 keeps 8 bits of mantissa: probabilities move by well under 0.05
    assert 0 < abs(low - ref).max() < 0.05
    model.test_cfg['autocast'] = 'half'
    with pytest.raises(ValueError, match="autocast must be one of.*'half'"):
        model.predict_probs(crops)


def test_channels_last_is_the_same_function(tiny_cfg):
    """``channels_last=True``: the backbone sees NHWC images; the losses,
    every gradient and the predictions match the default layout's."""
    ref = build(copy.deepcopy(tiny_cfg))
    model = build(tiny_cfg, channels_last=True)
    model.load_state_dict(ref.state_dict())
    seen = []
    model.backbone.register_forward_pre_hook(lambda m, args: seen.append(
        args[0].is_contiguous(memory_format=torch.channels_last)))
    batch = make_batch(['box', 'salient', 'box'])
    outs = []
    for m in (ref, model):
        data = m.data_preprocessor(copy.deepcopy(batch), True)
        losses = m(**data, mode='loss')
        sum(losses.values()).backward()
        outs.append((losses, {n: p.grad for n, p in m.named_parameters()}))
    assert seen == [True]
    for key, value in outs[0][0].items():
        torch.testing.assert_close(outs[1][0][key], value, rtol=1e-4,
                                   atol=1e-6)
    for name, grad in outs[0][1].items():  # float rounding of the sums
        err = (outs[1][1][name] - grad).abs().max()
        assert err <= 1e-3 * grad.abs().max() + 1e-8, name
    crops = torch.randn(3, 3, SIZE, SIZE,
                        generator=torch.Generator().manual_seed(3))
    np.testing.assert_allclose(model.eval().predict_probs(crops),
                               ref.eval().predict_probs(crops), atol=1e-5)
    assert seen[-1] is True


def test_color_pairwise_loss_joins_the_losses(tiny_cfg):
    model = build(
        tiny_cfg,
        color_pairwise_loss=dict(type='ColorPairwiseLoss', loss_weight=1.0),
        color_pairwise_on=('weak', 'mixed'))
    batch = make_batch(['box', 'salient', 'box'])
    for x in batch['inputs']:  # flat halves: similar neighbours
        x[:, :, :SIZE // 2] = 40
        x[:, :, SIZE // 2:] = 200
    raw = batch['inputs'][0].clone()
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    assert {'loss_color_pairwise', 'loss_color_pairwise_mixed'} <= set(losses)
    for key in ('loss_color_pairwise', 'loss_color_pairwise_mixed'):
        assert torch.isfinite(losses[key]) and losses[key] > 0
    # the undone normalisation gives back the uint8 images (as RGB)
    rgb = model._rgb_images(data['inputs'])
    torch.testing.assert_close(rgb[0], raw.flip(0).float(), atol=1e-3,
                               rtol=1e-4)
    with pytest.raises(ValueError, match='color_pairwise_on'):
        build(tiny_cfg, color_pairwise_loss=dict(type='ColorPairwiseLoss'),
              color_pairwise_on=('salient', ))


def test_bad_source_is_reported(tiny_cfg):
    model = build(tiny_cfg)
    batch = make_batch(['box', 'box'])
    batch['data_samples'][1].set_metainfo(dict(source='coco'))
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match="data sample 1.*'coco'"):
        model(**data, mode='loss')


def test_a_few_steps_fit_a_box(tiny_cfg):
    model = build(tiny_cfg)
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    batch = make_batch(['box', 'salient'])
    first = model.train_step(batch, optim)['loss'].item()
    for _ in range(14):
        last = model.train_step(batch, optim)['loss'].item()
    assert last < 0.8 * first
