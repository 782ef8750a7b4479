import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper

import mmboxcaseg.models  # noqa: F401
from mmboxcaseg.models.heads import MaskQualityHead
from mmboxcaseg.models.segmentors import mask_iou_targets, sample_region_masks
from mmboxcaseg.registry import MODELS
from ..test_segmentors.test_boxcaseg import build, make_batch


def test_iou_targets_are_the_masks_as_made():
    # map 0: min-max makes 0.2 / 0.6 -> 0 / 1: mask = the left half, 8 of
    # 16 pixels; the label is the top half: IoU 4 / 12
    logits = torch.full((2, 1, 4, 4), -2.0)
    logits[0, 0, :, :2] = 0.5
    labels = torch.zeros(2, 1, 4, 4)
    labels[0, 0, :2] = 1
    # map 1: constant, sigmoid(-2) < 0.4: an empty mask and an empty label
    iou = mask_iou_targets(logits, labels, mask_thr=0.4)
    assert iou.tolist() == pytest.approx([4 / 12, 1.0])
    # the threshold is the model's: at 0.99 nothing of map 0 but its
    # maximum (normalised to 1) passes
    assert mask_iou_targets(logits, labels, 0.99)[0] == pytest.approx(4 / 12)


def test_head_takes_any_crop_size_and_does_not_train_its_inputs():
    torch.manual_seed(0)
    head = MaskQualityHead(in_channels=6)
    for size in (12, 48):
        feat = torch.randn(3, 6, size, size, requires_grad=True)
        logits = torch.randn(3, 1, 2 * size, 2 * size, requires_grad=True)
        out = head(feat, logits)
        assert out.shape == (3, )
        loss = head.loss(feat, logits, torch.tensor([0.2, 0.5, 0.9]))
        loss.backward()
        assert feat.grad is None and logits.grad is None
        assert all(p.grad is not None for p in head.parameters())
        pred = head.predict(feat, logits)
        assert ((pred >= 0) & (pred <= 1)).all()


def test_a_quality_head_learns_on_salient_samples_only(tiny_cfg):
    tiny_cfg['quality_head'] = dict(type='MaskQualityHead', in_channels=60)
    model = build(tiny_cfg)
    data = model.data_preprocessor(make_batch(['box', 'salient', 'box']),
                                   True)
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_mil', 'loss_pairwise', 'loss_pixel', 'loss_quality'
    }
    # the loss is the MSE against the weak head's mask IoU (weight 0.5)
    feat = model.extract_feat(data['inputs'])
    weak = model.weak_head(feat)
    labels = data['data_samples'][1].gt_label[None].float()
    from mmboxcaseg.models.losses import resize_logits_to
    target = mask_iou_targets(resize_logits_to(weak[[1]], (32, 32)),
                              labels, 0.5)
    pred = model.quality_head(feat[[1]], weak[[1]])
    assert losses['loss_quality'].item() == pytest.approx(
        0.5 * ((pred - target)**2).mean().item(), rel=1e-5)
    # boxes alone: a zero loss with a graph
    data = model.data_preprocessor(make_batch(['box', 'box']), True)
    loss = model(**data, mode='loss')['loss_quality']
    assert loss.item() == 0 and loss.requires_grad


def test_a_frozen_segmentor_trains_the_quality_head_alone(tiny_cfg):
    tiny_cfg['quality_head'] = dict(type='MaskQualityHead', in_channels=60)
    model = build(tiny_cfg, frozen_segmentor=True)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    assert not model.backbone.training and model.quality_head.training
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    data = make_batch(['salient', 'box', 'salient'])
    for _ in range(2):
        losses = model.train_step(data, optim)
    assert set(losses) == {'loss', 'loss_quality'}
    after = model.state_dict()
    changed = sorted({k.split('.')[0] for k in after
                      if not torch.equal(after[k], before[k])})
    assert changed == ['quality_head']  # BN statistics included
    with pytest.raises(ValueError, match='give a quality_head'):
        build(dict(tiny_cfg, quality_head=None), frozen_segmentor=True)


def test_predicted_iou_is_the_mask_score(tiny_cfg):
    tiny_cfg['quality_head'] = dict(type='MaskQualityHead', in_channels=60)
    tiny_cfg['test_cfg'] = dict(pred='weak', mask_thr=0.5, flip=True)
    model = build(tiny_cfg).eval()
    crops = torch.randn(3, 3, 32, 32)
    probs, quality = model.predict_crops(crops)
    assert probs.shape == (3, 32, 32) and quality.shape == (3, )
    # with flip: the mean of the two views' predictions
    feat = model.extract_feat(crops)
    flipped = model.extract_feat(crops.flip(-1))
    mean = (model.quality_head.predict(feat, model.weak_head(feat)) +
            model.quality_head.predict(flipped, model.weak_head(flipped))) / 2
    np.testing.assert_allclose(quality, mean.numpy(), rtol=1e-5, atol=1e-6)
    # the same probabilities as without a quality head
    plain = MODELS.build(dict(tiny_cfg, quality_head=None)).eval()
    plain.load_state_dict(model.state_dict(), strict=False)
    np.testing.assert_allclose(plain.predict_probs(crops), probs, atol=1e-6)
    # predict() hands it on, and the masks' score is it
    samples = model.predict(crops, None)
    sample = samples[0].to_dict()
    sample['regions'] = sample['crop_regions'] = np.array(
        [[0, 0, 8, 8], [2, 2, 9, 9], [1, 0, 5, 7]])
    _, scores, _ = sample_region_masks(sample)
    np.testing.assert_allclose(scores, quality, rtol=1e-6)
