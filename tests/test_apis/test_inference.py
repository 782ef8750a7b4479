import json

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from mmboxcaseg.apis import BoxCasegInferencer, init_segmentor, segment_boxes
from mmboxcaseg.structures import box_regions, decode_rle
from mmboxcaseg.utils import CheckpointRefused


def random_image(h, w, seed):
    return np.random.default_rng(seed).integers(
        0, 256, (h, w, 3), dtype=np.uint8)


def test_init_segmentor_round_trip_and_refusals(tiny_boxcaseg, tmp_path,
                                                model):
    cfg, _ = tiny_boxcaseg
    assert not model.training and model.cfg.model.type == 'BoxCaseg'
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    loaded = init_segmentor(cfg, str(ckpt))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    # a checkpoint that lacks weights is refused, not silently half-loaded
    state = model.state_dict()
    state.pop('salient_head.conv2.weight')
    torch.save(dict(state_dict=state), ckpt)
    with pytest.raises(CheckpointRefused, match='salient_head.conv2.weight'):
        init_segmentor(cfg, str(ckpt))
    # no checkpoint: an error unless random weights are asked for
    with pytest.raises(ValueError, match='random_weights'):
        init_segmentor(cfg)
    assert init_segmentor(cfg, random_weights=True).cfg.model.type == \
        'BoxCaseg'


def test_refused_checkpoint_explains_itself(tiny_boxcaseg, tmp_path):
    import os
    cfg, _ = tiny_boxcaseg
    bad = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, payload=os.getcwd), bad)  # a function
    with pytest.raises(CheckpointRefused) as info:
        init_segmentor(cfg, str(bad))
    msg = str(info.value)
    assert 'not allowed' in msg and 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' in msg
    assert 'weights_only=False' not in msg


def test_segment_boxes_full_image_masks(model, tmp_path):
    image = random_image(24, 32, 4)
    boxes = np.array([[-5., -5., 10., 8.], [20., 10., 40., 30.],
                      [4., 4., 28., 20.]])
    masks, scores = segment_boxes(model, image, boxes, return_scores=True)
    assert masks.shape == (3, 24, 32) and masks.dtype == bool
    assert scores.shape == (3, ) and ((0 <= scores) & (scores <= 1)).all()
    regions = box_regions(boxes, (24, 32))
    assert regions[0].tolist() == [0, 0, 10, 8]  # clipped at the border
    for mask, (x0, y0, x1, y1) in zip(masks, regions):
        outside = mask.copy()
        outside[y0:y1, x0:x1] = False
        assert not outside.any()
    assert masks.any()
    path = tmp_path / 'img.png'
    cv2.imwrite(str(path), image)
    assert np.array_equal(segment_boxes(model, str(path), boxes), masks)
    assert segment_boxes(model, image, np.zeros((0, 4))).shape == (0, 24, 32)


def test_every_image_kind_gives_the_same_masks(model):
    gray = random_image(20, 24, 1)[..., 0]
    bgr = np.repeat(gray[..., None], 3, axis=2)
    box = np.array([2., 3., 20., 17.])  # one box as a 1-D array
    ref = segment_boxes(model, bgr, box[None])
    assert ref.shape == (1, 20, 24)
    assert np.array_equal(segment_boxes(model, gray, box), ref)
    rgba = np.concatenate([bgr, np.full((20, 24, 1), 7, np.uint8)], axis=2)
    assert np.array_equal(segment_boxes(model, rgba, box), ref)
    colour = random_image(20, 24, 2)
    ref = segment_boxes(model, colour, box)
    rgb = colour[..., ::-1].copy()
    assert np.array_equal(
        segment_boxes(model, rgb, box, channel_order='rgb'), ref)
    assert np.array_equal(segment_boxes(model, Image.fromarray(rgb), box),
                          ref)


def test_masks_do_not_depend_on_the_batch(model):
    images = [random_image(24, 32, 1), random_image(40, 20, 2),
              random_image(41, 21, 3)]
    boxes = [np.array([[0, 0, 32, 24], [5, 5, 9, 30], [-3, 2, 12, 12.5]]),
             np.zeros((0, 4)), np.array([[1, 1, 19, 39]])]
    inferencer = BoxCasegInferencer(model)
    ref = inferencer(images, boxes=boxes, batch_size=3)['predictions']
    one = inferencer(images, boxes=boxes, batch_size=1)['predictions']
    assert [len(p['scores']) for p in ref] == [3, 0, 1]
    for r, o in zip(ref, one):
        assert np.array_equal(r['masks'], o['masks'])
        assert np.array_equal(r['scores'], o['scores'])


def test_bad_inputs_are_named_or_skipped(model, tmp_path):
    good = random_image(10, 10, 5)
    # not 4 finite numbers: bad_box, as in the converter
    out = BoxCasegInferencer(model)(
        good, boxes=np.array([[0, 0, 5, 5], [0, 0, np.nan, 4]
                              ]))['predictions'][0]
    assert out['skipped'] == [None, 'bad_box']
    assert not out['masks'][1].any()
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        segment_boxes(model, good, np.zeros((2, 3)))
    with pytest.raises(ValueError, match='2 images but 1'):
        BoxCasegInferencer(model)([good, good], boxes=[np.zeros((0, 4))])
    with pytest.raises(ValueError, match='shape'):
        segment_boxes(model, good[:, :, :2], np.zeros((0, 4)))
    with pytest.raises(FileNotFoundError):
        segment_boxes(model, str(tmp_path / 'missing.jpg'), np.zeros((0, 4)))
    # an inverted and an outside box are skipped: empty masks, a reason
    out = BoxCasegInferencer(model)(
        good, boxes=np.array([[6, 0, 2, 4], [20, 20, 30, 30], [0, 0, 5, 5]
                              ]))['predictions'][0]
    assert out['skipped'] == ['empty_box', 'box_outside_image', None]
    assert not out['masks'][:2].any() and out['masks'][2].any()
    assert out['scores'][:2].tolist() == [0.0, 0.0]


def _folder_with_coco(root):
    from tests.test_proxy.proxy_data import rle_of
    (root / 'imgs').mkdir()
    images, anns = [], []
    for k in range(3):
        img = random_image(30, 40, 10 + k)
        img[8:22, 10:30] = (20, 220, 240)
        cv2.imwrite(str(root / 'imgs' / f'{k}.png'), img)
        images.append(dict(id=k + 1, file_name=f'{k}.png', height=30,
                           width=40))
        gt = np.zeros((30, 40), bool)
        gt[8:22, 10:30] = True
        anns.append(dict(id=10 + k, image_id=k + 1, category_id=1,
                         bbox=[8, 6, 24, 18], iscrowd=0,
                         segmentation=rle_of(gt)))
    ann = root / 'ann.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns,
                                   categories=[dict(id=1, name='x')])))
    return ann, root / 'imgs'


def test_inferencer_folder_in_masks_scores_pictures_out(model, tmp_path):
    ann, imgs = _folder_with_coco(tmp_path)
    inferencer = BoxCasegInferencer(model)
    out_dir = tmp_path / 'out'
    out = inferencer(str(imgs), boxes=str(ann), out_dir=str(out_dir),
                     mask_format='rle', return_logits=True)
    preds = out['predictions']
    assert len(preds) == 3
    for k, p in enumerate(preds):
        assert p['img_path'].endswith(f'{k}.png')
        (mask, ) = p['masks']
        assert decode_rle(mask).shape == (30, 40)
        assert p['logits'].shape == (1, 32, 32)
        pred_file = json.loads((out_dir / 'preds' / f'{k}.json').read_text())
        assert pred_file['masks'] == p['masks']
        pic = cv2.imread(str(out_dir / 'vis' / f'{k}.png'))
        raw = cv2.imread(str(imgs / f'{k}.png'))
        assert pic.shape == raw.shape
        m = decode_rle(mask)
        # the mask is painted over the photo; outside the box it is not
        diff = np.abs(pic.astype(int) - raw.astype(int)).sum(axis=2)
        assert diff[m].mean() > 20
        assert (diff[:4, :4] == 0).all()  # far from the box
    # the same json as input: its images, boxes and GT masks beside
    out = inferencer(str(ann), img_root=str(imgs), out_dir=str(tmp_path /
                                                              'gt'),
                     draw_gt=True)
    pic = cv2.imread(str(tmp_path / 'gt' / 'vis' / '0.png'))
    assert pic.shape == (30, 80, 3)  # GT | prediction


def test_demo_cli(tiny_boxcaseg, tmp_path, capsys):
    from tests.tool_loader import load_tool
    module = load_tool('demo/box_to_mask_demo.py')
    cfg, ckpt = tiny_boxcaseg
    img = tmp_path / 'img.png'
    cv2.imwrite(str(img), random_image(40, 48, 6))
    assert module.main([
        str(img), '--model', cfg, '--weights', ckpt, '--boxes', '-5,-3,30,20',
        '10,10,48,40', '--out-dir',
        str(tmp_path / 'o')
    ]) == 0
    assert (tmp_path / 'o' / 'vis' / 'img.png').is_file()
    assert '2 masks of 1 image(s)' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        module.parse_args(['x.png', '--model', 'c.py', '--boxes', '1,2,3'])


def test_model_by_name(monkeypatch, tmp_path):
    """A model-index name gives the repository's config and the weights the
    metafile names; a missing or absent weights file is an error that says
    what to do, never a model with random weights."""
    import os.path as osp

    from mmboxcaseg.apis import inferencer
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg, weights = inferencer.find_model(
        'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient')
    assert osp.samefile(
        cfg,
        osp.join(root, 'configs/boxcaseg/'
                 'boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'))
    assert weights == osp.join(
        osp.realpath(root), 'checkpoints',
        'boxcaseg_effnet-lite0_cpu_coco128.pth')
    with pytest.raises(ValueError, match='neither a config file nor'):
        inferencer.find_model('no-such-model')
    # the API's keyword and the demo's flag are both named
    with pytest.raises(ValueError,
                       match='has no weights.*weights=CKPT.*--weights CKPT'):
        BoxCasegInferencer('boxcaseg_effnet-lite0_1xb16-cpu_pennfudan-salient')
    missing = str(tmp_path / 'absent.pth')
    monkeypatch.setattr(inferencer, 'find_model', lambda name: (cfg, missing))
    with pytest.raises(FileNotFoundError, match='make model.*--weights'):
        BoxCasegInferencer('boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient')
