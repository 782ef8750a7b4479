import numpy as np
import torch

from mmboxcaseg.registry import TRANSFORMS


def test_packs_inputs_label_and_metainfo():
    img = np.random.default_rng(0).integers(0, 255, (6, 7, 3), np.uint8)
    label = (np.arange(42).reshape(6, 7) % 2).astype(np.uint8)
    out = TRANSFORMS.build(dict(type='PackBoxCasegInputs'))(
        dict(
            img=img,
            gt_seg_map=label,
            source='box',
            img_path='a.jpg',
            ori_shape=(60, 70),
            img_shape=(6, 7),
            ann_id=3,
            unused=1))
    inputs, ds = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 6, 7)
    assert torch.equal(inputs[0], torch.from_numpy(img[..., 0]))  # BGR kept
    assert ds.gt_label.dtype == torch.uint8
    assert ds.gt_label.shape == (1, 6, 7)
    assert torch.equal(ds.gt_label[0], torch.from_numpy(label))
    assert ds.metainfo == dict(
        source='box',
        img_path='a.jpg',
        ori_shape=(60, 70),
        img_shape=(6, 7),
        ann_id=3)
