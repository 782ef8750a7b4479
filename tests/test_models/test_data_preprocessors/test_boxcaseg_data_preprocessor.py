import pytest
import torch
from mmengine.structures import BaseDataElement

from mmboxcaseg.models.data_preprocessors import (BoxCasegDataPreprocessor,
                                                  stack_gt_labels)


def sample(label):
    s = BaseDataElement(metainfo=dict(source='box'))
    s.gt_label = label
    return s


def test_normalises_bgr_to_rgb():
    pre = BoxCasegDataPreprocessor(mean=[1., 2., 3.], std=[2., 2., 2.])
    img = torch.zeros(3, 2, 2, dtype=torch.uint8)
    img[0], img[1], img[2] = 10, 20, 30  # B, G, R
    out = pre(dict(inputs=[img]), False)['inputs']
    assert out.shape == (1, 3, 2, 2)
    # RGB order: (30 - 1) / 2, (20 - 2) / 2, (10 - 3) / 2
    assert out[0, :, 0, 0].tolist() == [14.5, 9., 3.5]


def test_labels_padded_with_inputs_and_stacked():
    pre = BoxCasegDataPreprocessor(pad_size_divisor=4)
    imgs = [torch.zeros(3, 5, 6, dtype=torch.uint8)] * 2
    samples = [
        sample(torch.ones(1, 5, 6, dtype=torch.uint8)),
        sample(torch.zeros(1, 5, 6, dtype=torch.uint8))
    ]
    data = pre(dict(inputs=imgs, data_samples=samples), True)
    assert data['inputs'].shape == (2, 3, 8, 8)
    labels = stack_gt_labels(data['data_samples'])
    assert labels.shape == (2, 1, 8, 8)
    assert labels[0].sum() == 30 and labels[0, 0, 5:].sum() == 0


def test_stack_reports_the_bad_sample():
    samples = [sample(torch.zeros(1, 4, 4)), BaseDataElement()]
    with pytest.raises(ValueError, match='data sample 1'):
        stack_gt_labels(samples)
    with pytest.raises(ValueError, match=r'data sample 0.*\[1, H, W\]'):
        stack_gt_labels([sample(torch.zeros(4, 4))])
    with pytest.raises(ValueError, match='differ'):
        stack_gt_labels(
            [sample(torch.zeros(1, 4, 4)),
             sample(torch.zeros(1, 5, 4))])
