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


def test_evaluation_sample_without_label():
    crop = np.ones((3, 4), np.uint8)
    out = TRANSFORMS.build(dict(type='PackBoxCasegInputs'))(
        dict(
            img=np.zeros((5, 5, 3), np.uint8),
            gt_mask_crop=crop,
            gt_area=20,
            region=(1, 2, 5, 5),
            category_id=4))
    ds = out['data_samples']
    assert 'gt_label' not in ds
    assert ds.gt_mask_crop is crop and ds.gt_area == 20
    assert ds.region == (1, 2, 5, 5) and ds.category_id == 4
