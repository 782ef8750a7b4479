import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmboxcaseg.apis import (init_segmentor, predict_region_masks,
                             segment_boxes)
from mmboxcaseg.models.segmentors import logits_to_region_masks
from mmboxcaseg.structures import box_regions


def random_image(h, w, seed):
    return np.random.default_rng(seed).integers(
        0, 256, (h, w, 3), dtype=np.uint8)


@pytest.fixture
def model(tiny_config):
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='random weights'):
        return init_segmentor(tiny_config)


def test_init_segmentor_round_trip(tiny_config, tmp_path, model):
    assert not model.training and model.cfg.model.type == 'BoxCaseg'
    with torch.no_grad():  # non-trivial BN statistics
        model.weak_head.bn.running_mean.uniform_()
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    loaded = init_segmentor(tiny_config, str(ckpt))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    # a checkpoint that lacks weights is refused, not silently half-loaded
    state = model.state_dict()
    state.pop('salient_head.conv2.weight')
    torch.save(dict(state_dict=state), ckpt)
    with pytest.raises(RuntimeError, match='salient_head.conv2.weight'):
        init_segmentor(tiny_config, str(ckpt))


def test_matches_the_step_by_step_pipeline(model):
    image = random_image(30, 40, 0)
    boxes = np.array([[3.2, 4.7, 25.1, 20.], [10., 0., 40., 30.]])
    (masks, ) = predict_region_masks(model, [image], [boxes], crop_size=32)
    regions = box_regions(boxes, image.shape[:2])
    for (x0, y0, x1, y1), mask in zip(regions, masks):
        crop = torch.from_numpy(image[y0:y1, x0:x1]).permute(2, 0, 1)
        crop = F.interpolate(
            crop[None].float(), (32, 32), mode='bilinear', align_corners=False)
        inputs = model.data_preprocessor(dict(inputs=crop), False)['inputs']
        with torch.no_grad():
            logits = model(inputs)
        (ref, ) = logits_to_region_masks(logits, [(y1 - y0, x1 - x0)])
        assert mask.dtype == bool and mask.shape == (y1 - y0, x1 - x0)
        assert np.array_equal(mask, ref.numpy())


def test_batches_across_images_do_not_change_results(model):
    images = [random_image(24, 32, 1), random_image(40, 20, 2)]
    boxes = [
        np.array([[0, 0, 32, 24], [5, 5, 9, 30], [-3, 2, 12, 12.5]]),
        np.zeros((0, 4)),
    ]
    boxes.append(np.array([[1, 1, 19, 39]]))
    images.append(random_image(41, 21, 3))
    ref = predict_region_masks(
        model, images, boxes, batch_size=64, crop_size=32)
    assert [len(r) for r in ref] == [3, 0, 1]
    for batch_size in (1, 3):
        out = predict_region_masks(
            model, images, boxes, batch_size=batch_size, crop_size=32)
        for r_img, o_img in zip(ref, out):
            assert all(np.array_equal(r, o) for r, o in zip(r_img, o_img))


def test_segment_boxes_full_image_masks(model, tmp_path):
    image = random_image(24, 32, 4)
    boxes = np.array([[-5., -5., 10., 8.], [20., 10., 40., 30.],
                      [4., 4., 28., 20.]])
    masks = segment_boxes(model, image, boxes)
    assert masks.shape == (3, 24, 32) and masks.dtype == bool
    regions = box_regions(boxes, (24, 32))
    assert regions[0].tolist() == [0, 0, 10, 8]  # clipped at the border
    for mask, (x0, y0, x1, y1) in zip(masks, regions):
        outside = mask.copy()
        outside[y0:y1, x0:x1] = False
        assert not outside.any()
        assert mask[y0:y1, x0:x1].any()  # min-max: the maximum is kept
    path = tmp_path / 'img.png'
    cv2.imwrite(str(path), image)
    assert np.array_equal(segment_boxes(model, str(path), boxes), masks)
    assert segment_boxes(model, image, np.zeros((0, 4))).shape == (0, 24, 32)


def test_bad_inputs_are_named(model, tmp_path):
    good = random_image(10, 10, 5)
    with pytest.raises(ValueError, match='image 1: expected an H x W x 3'):
        predict_region_masks(model, [good, good[..., 0]], [np.zeros(
            (0, 4))] * 2)
    with pytest.raises(ValueError, match='image 0, box 1'):
        predict_region_masks(model, [good],
                             [np.array([[0, 0, 5, 5], [0, 0, np.nan, 4]])])
    with pytest.raises(ValueError, match='image 0, box 0'):
        segment_boxes(model, good, np.array([[6, 0, 2, 4]]))
    with pytest.raises(ValueError, match='2 images but 1'):
        predict_region_masks(model, [good, good], [np.zeros((0, 4))])
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        segment_boxes(model, good, np.zeros((2, 3)))
    with pytest.raises(FileNotFoundError):
        segment_boxes(model, str(tmp_path / 'missing.jpg'), np.zeros((0, 4)))


def test_demo_draws_masks(tiny_config, tmp_path):
    import importlib.util
    import os.path as osp
    demo = osp.join(
        osp.dirname(__file__), '..', '..', 'demo', 'box_to_mask_demo.py')
    spec = importlib.util.spec_from_file_location('demo', demo)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    img = tmp_path / 'img.png'
    cv2.imwrite(str(img), random_image(40, 48, 6))
    out = tmp_path / 'out.png'
    with pytest.warns(UserWarning, match='random weights'):
        module.main([
            str(img), '--config', tiny_config, '--boxes', '2,3,30,20',
            '10,10,48,40', '--out',
            str(out), '--pred', 'weak'
        ])
    drawn = cv2.imread(str(out))
    assert drawn.shape == (40, 48, 3)
    with pytest.raises(SystemExit):
        module.parse_args([
            'x.png', '--config', 'c.py', '--boxes', '1,2,3', '--out', 'o.png'
        ])


def test_config_crop_size_follows_the_test_pipeline():
    from mmengine.config import Config

    from mmboxcaseg.apis import config_crop_size

    def cfg(pipeline):
        return Config(dict(test_dataloader=dict(dataset=dict(
            pipeline=pipeline))))

    assert config_crop_size(cfg([
        dict(type='LoadImageFromFile'), dict(type='TightBoxCrop'),
        dict(type='Resize', scale=(192, 192)), dict(type='PackBoxCasegInputs')
    ])) == 192
    assert config_crop_size(cfg([dict(type='TightBoxCrop')])) == 320
    assert config_crop_size(None) == 320
    # a Resize before the crop does not count
    assert config_crop_size(cfg([
        dict(type='Resize', scale=(64, 64)), dict(type='TightBoxCrop')
    ])) == 320
