"""A dropped proxy mask trains the box branches, never the mask head."""
import copy

import numpy as np
import pytest
import torch
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmboxcaseg.models.roi_heads import (IgnoreAwareFCNMaskHead, kept_share,
                                         select_positives)
from mmboxcaseg.registry import MODELS
from mmboxcaseg.utils import register_all_modules

register_all_modules()

S = 64  # image side
BOXES = [(4., 6., 30., 40.), (28., 20., 60., 58.), (10., 40., 26., 62.)]


def tiny_mask_rcnn(roi_head='IgnoreAwareRoIHead',
                   mask_head='IgnoreAwareFCNMaskHead',
                   share_roi_extractor=False):
    """Mask R-CNN with a ResNet-18 of width 8 on 64 x 64 images."""
    c = 16
    roi_size = 7 if share_roi_extractor else 14

    def roi_extractor(size):
        return dict(
            type='SingleRoIExtractor',
            roi_layer=dict(
                type='RoIAlign', output_size=size, sampling_ratio=0),
            out_channels=c,
            featmap_strides=[4, 8, 16, 32])

    def assign_and_sample(pos_thr, neg_thr, pos_fraction, add_gt):
        """MaxIoU assignment (``neg_thr`` is also the least positive IoU)
        and random sampling of 64 boxes."""
        return dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=pos_thr,
                neg_iou_thr=neg_thr,
                min_pos_iou=neg_thr,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=64,
                pos_fraction=pos_fraction,
                neg_pos_ub=-1,
                add_gt_as_proposals=add_gt))

    proposals = dict(
        nms_pre=200,
        max_per_img=50,
        nms=dict(type='nms', iou_threshold=0.7),
        min_bbox_size=0)
    cfg = dict(
        type='MaskRCNN',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[0., 0., 0.],
            std=[1., 1., 1.],
            pad_mask=True,
            pad_size_divisor=32),
        backbone=dict(
            type='ResNet',
            depth=18,
            base_channels=8,
            out_indices=(0, 1, 2, 3),
            norm_cfg=dict(type='BN', requires_grad=True),
            norm_eval=True),
        neck=dict(
            type='FPN',
            in_channels=[8, 16, 32, 64],
            out_channels=c,
            num_outs=5),
        rpn_head=dict(
            type='RPNHead',
            in_channels=c,
            feat_channels=c,
            anchor_generator=dict(
                type='AnchorGenerator',
                scales=[4],
                ratios=[0.5, 1.0, 2.0],
                strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[.0, .0, .0, .0],
                target_stds=[1.0, 1.0, 1.0, 1.0]),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        roi_head=dict(
            type=roi_head,
            bbox_roi_extractor=roi_extractor(7),
            bbox_head=dict(
                type='Shared2FCBBoxHead',
                in_channels=c,
                fc_out_channels=32,
                roi_feat_size=7,
                num_classes=3,
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder',
                    target_means=[0., 0., 0., 0.],
                    target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(
                    type='CrossEntropyLoss',
                    use_sigmoid=False,
                    loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
            mask_roi_extractor=None
            if share_roi_extractor else roi_extractor(14),
            mask_head=dict(
                type=mask_head,
                num_convs=2,
                roi_feat_size=roi_size,
                in_channels=c,
                conv_out_channels=c,
                num_classes=3,
                loss_mask=dict(
                    type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))),
        train_cfg=dict(
            rpn=dict(
                **assign_and_sample(0.7, 0.3, 0.5, False),
                allowed_border=-1,
                pos_weight=-1,
                debug=False),
            rpn_proposal=proposals,
            rcnn=dict(
                **assign_and_sample(0.5, 0.5, 0.25, True),
                mask_size=2 * roi_size,
                pos_weight=-1,
                debug=False)),
        test_cfg=dict(
            rpn=proposals,
            rcnn=dict(
                score_thr=0.05,
                nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=20,
                mask_thr_binary=0.5)))
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(cfg))


def _batch(mask_ignored=None):
    """Two 64 x 64 images with 3 and 2 boxes, elliptic masks."""
    rng = np.random.RandomState(0)
    inputs, samples = [], []
    yy, xx = np.mgrid[:S, :S]
    for n in (3, 2):
        boxes = torch.tensor(BOXES[:n])
        masks = []
        for x1, y1, x2, y2 in BOXES[:n]:
            cx, cy, a, b = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, \
                (y2 - y1) / 2
            masks.append(((xx - cx) / a)**2 + ((yy - cy) / b)**2 <= 1)
        gt = InstanceData(
            bboxes=boxes,
            labels=torch.arange(n) % 3,
            masks=BitmapMasks(np.stack(masks).astype(np.uint8), S, S))
        if mask_ignored is not None:
            gt.mask_ignored = torch.tensor(mask_ignored[len(samples)])
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(S, S), ori_shape=(S, S), scale_factor=(1., 1.)))
        sample.gt_instances = gt
        inputs.append(torch.from_numpy(rng.randint(0, 255, (3, S, S))))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _losses(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), training=True)
    torch.manual_seed(1)  # the same RoI sampling in every call
    return model.loss(data["inputs"], data["data_samples"])


@pytest.mark.parametrize('share_roi_extractor', [False, True])
@pytest.mark.parametrize('roi_head', ['IgnoreAwareRoIHead', 'StandardRoIHead'])
def test_all_ignored_zero_mask_loss(roi_head, share_roi_extractor):
    model = tiny_mask_rcnn(roi_head, share_roi_extractor=share_roi_extractor)
    rows = []
    model.roi_head.mask_head.register_forward_hook(
        lambda mod, args, out: rows.append(args[0].shape[0]))
    plain = _losses(model, _batch())
    ignored = _losses(model, _batch([[True] * 3, [True] * 2]))
    assert plain['loss_mask'].item() > 0.1
    assert ignored['loss_mask'].item() == 0.0
    # IgnoreAwareRoIHead does not even run the mask head on ignored RoIs
    assert rows[0] > 0
    assert rows[1] == (0 if roi_head == 'IgnoreAwareRoIHead' else rows[0])
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'):
        a, b = plain[key], ignored[key]
        a, b = (torch.stack(a), torch.stack(b)) if isinstance(a, list) \
            else (a, b)
        assert torch.equal(a, b), key
    # the zero keeps the graph: every mask-head weight gets a (zero) gradient
    total = sum(v.sum() if torch.is_tensor(v) else sum(x.sum() for x in v)
                for k, v in ignored.items() if 'loss' in k)
    total.backward()
    for name, p in model.roi_head.mask_head.named_parameters():
        assert p.grad is not None, name
        assert torch.count_nonzero(p.grad) == 0, name
    assert torch.count_nonzero(model.roi_head.bbox_head.fc_cls.weight.grad)


@pytest.mark.parametrize('share_roi_extractor', [False, True])
def test_roi_head_filter_equals_mask_head_filter(share_roi_extractor):
    """Skipping ignored RoIs before the mask head gives the same losses."""
    flags = [[True, False, True], [False, True]]
    ours = tiny_mask_rcnn(
        'IgnoreAwareRoIHead', share_roi_extractor=share_roi_extractor)
    stock = tiny_mask_rcnn(
        'StandardRoIHead', share_roi_extractor=share_roi_extractor)
    stock.load_state_dict(ours.state_dict())
    a, b = _losses(ours, _batch(flags)), _losses(stock, _batch(flags))
    plain = _losses(stock, _batch())
    assert torch.allclose(a['loss_mask'], b['loss_mask'], atol=1e-6)
    assert not torch.allclose(a['loss_mask'], plain['loss_mask'])
    assert torch.equal(a['loss_cls'], plain['loss_cls'])


def _sampling_result(pos_gt, num_neg, gt_bboxes, labels, pos_inds=None):
    """RoIs 0..P-1 positive (assigned to ``pos_gt``), then ``num_neg``."""
    num_pos = len(pos_gt)
    priors = torch.cat([
        gt_bboxes[torch.tensor(pos_gt)] + 1.,
        torch.tensor([[0., 0., 8., 8.]]).repeat(num_neg, 1)
    ])
    gt_inds = torch.tensor([g + 1 for g in pos_gt] + [0] * num_neg)
    assign = AssignResult(
        num_gts=len(gt_bboxes),
        gt_inds=gt_inds,
        max_overlaps=torch.ones(len(gt_inds)),
        labels=torch.cat(
            [labels[torch.tensor(pos_gt)],
             torch.full((num_neg, ), -1)]))
    if pos_inds is None:
        pos_inds = torch.arange(num_pos)
    return SamplingResult(
        pos_inds=pos_inds,
        neg_inds=torch.arange(num_pos, num_pos + num_neg),
        priors=priors,
        gt_bboxes=gt_bboxes,
        assign_result=assign,
        gt_flags=torch.zeros(len(gt_inds), dtype=torch.uint8))


def test_kept_share():
    t, f = True, False
    assert kept_share([torch.tensor([t, f, t]), torch.tensor([f])]) == 0.5
    assert kept_share([torch.zeros(0, dtype=torch.bool)]) == 1.0
    assert kept_share([torch.tensor([f, f])]) == 0.0


def test_mixed_is_kept_loss_over_all_positives():
    gt_bboxes = torch.tensor(BOXES)
    labels = torch.tensor([0, 1, 2])
    masks = _batch()['data_samples'][0].gt_instances.masks
    gt = InstanceData(
        bboxes=gt_bboxes,
        labels=labels,
        masks=masks,
        mask_ignored=torch.tensor([False, True, False]))
    pos_gt = [0, 1, 1, 2, 0, 1]
    res = _sampling_result(pos_gt, 4, gt_bboxes, labels)
    torch.manual_seed(0)
    preds = torch.randn(len(pos_gt), 3, 28, 28, requires_grad=True)
    cfg = ConfigDict(mask_size=28)
    head_cfg = dict(
        num_convs=1, in_channels=4, conv_out_channels=4, num_classes=3)
    ours = IgnoreAwareFCNMaskHead(**head_cfg).loss_and_target(
        preds, [res], [gt], cfg)

    # reference: stock FCNMaskHead on the positives of the kept GTs only
    # (their mean), times their share of the positives: 3 of 6
    keep = [i for i, g in enumerate(pos_gt) if g != 1]
    kept_res = _sampling_result([pos_gt[i] for i in keep], 4, gt_bboxes,
                                labels)
    kept_res.pos_priors = res.pos_priors[keep]
    ref = FCNMaskHead(**head_cfg).loss_and_target(preds[keep], [kept_res],
                                                  [gt], cfg)
    all_used = FCNMaskHead(**head_cfg).loss_and_target(preds, [res], [gt], cfg)
    loss, ref_loss = ours['loss_mask']['loss_mask'], ref['loss_mask'][
        'loss_mask']
    assert torch.allclose(loss, ref_loss * 3 / 6, rtol=0, atol=1e-7)
    assert not torch.allclose(loss, all_used['loss_mask']['loss_mask'])
    assert ours['mask_targets'].shape == (3, 28, 28)
    # an ignored RoI gets no gradient
    loss.sum().backward()
    grad_norm = preds.grad.flatten(1).abs().sum(1)
    assert (grad_norm[[1, 2, 5]] == 0).all() and (grad_norm[keep] > 0).all()


def test_select_positives_copies():
    gt_bboxes = torch.tensor(BOXES)
    res = _sampling_result([0, 1, 2], 2, gt_bboxes, torch.tensor([0, 1, 2]))
    out = select_positives(res, torch.tensor([True, False, True]))
    assert out.pos_assigned_gt_inds.tolist() == [0, 2]
    assert out.pos_gt_labels.tolist() == [0, 2]
    assert torch.equal(out.pos_priors, res.pos_priors[[0, 2]])
    assert torch.equal(out.pos_gt_bboxes, gt_bboxes[[0, 2]])
    assert out.neg_priors.shape == (2, 4)
    assert res.pos_inds.tolist() == [0, 1, 2]  # input untouched
    with pytest.raises(ValueError):
        select_positives(res, torch.tensor([True, False]))


@pytest.mark.parametrize('num_classes', [1, 80])
def test_logits_start_at_a_scale_free_of_the_class_count(num_classes):
    """mmdet's Kaiming ``fan_out`` gives conv_logits a weight std of
    sqrt(2 / num_classes) (1.41 for one class); ``fan_in`` gives
    1 / sqrt(in_channels) whatever the class count."""
    torch.manual_seed(0)
    cfg = dict(num_convs=1, in_channels=64, conv_out_channels=64,
               num_classes=num_classes)
    ours = IgnoreAwareFCNMaskHead(**cfg)
    ours.init_weights()
    stock = IgnoreAwareFCNMaskHead(logits_init='fan_out', **cfg)
    stock.init_weights()
    w_ours = ours.conv_logits.weight
    w_stock = stock.conv_logits.weight
    assert w_ours.shape == (num_classes, 64, 1, 1)
    assert torch.all(ours.conv_logits.bias == 0)
    # 64 * num_classes draws: the sample std is within 25 % of its law's
    assert abs(w_ours.std().item() - 1 / 8) < 0.25 / 8
    expected_stock = (2 / num_classes)**0.5
    assert abs(w_stock.std().item() - expected_stock) < 0.25 * expected_stock
    # every other parameter is initialised as mmdet does
    torch.manual_seed(1)
    a = IgnoreAwareFCNMaskHead(**cfg)
    a.init_weights()
    torch.manual_seed(1)
    b = FCNMaskHead(**cfg)
    b.init_weights()
    for (name, pa), (_, pb) in zip(a.named_parameters(),
                                   b.named_parameters()):
        if not name.startswith('conv_logits'):
            assert torch.equal(pa, pb), name
    with pytest.raises(ValueError, match='logits_init'):
        IgnoreAwareFCNMaskHead(logits_init='xavier', **cfg)
