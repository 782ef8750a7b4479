import json
import sys
import types

import numpy as np
import pytest

from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
from mmboxcaseg.registry import PROXY_GENERATORS
from mmboxcaseg.structures import box_regions
from tests.test_proxy.proxy_data import decode, make_dataset


def _scene(h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    img[10:26, 14:34] = (30, 200, 230)  # a bright object of 16 x 20
    return img


def test_registry_names():
    for name in ('boxfill', 'grabcut', 'boxcaseg'):
        assert PROXY_GENERATORS.get(name) is not None, name


def test_boxfill_region_shapes():
    gen = PROXY_GENERATORS.build(dict(type='boxfill'))
    img = np.zeros((10, 12, 3), np.uint8)
    boxes = np.array([[1.5, 2.0, 4.2, 5.0], [10, 8, 20, 20], [3, 3, 3, 3]])
    (masks, ) = gen.generate([img], [boxes])
    regions = box_regions(boxes, (10, 12))
    assert [m.shape for m in masks] == [(3, 4), (2, 2), (1, 1)]
    for m, (x0, y0, x1, y1) in zip(masks, regions):
        assert m.dtype == bool and m.all()
        assert m.shape == (y1 - y0, x1 - x0)
    assert gen.generate([], []) == []
    with pytest.raises(ValueError, match='2 images but 1'):
        gen.generate([img, img], [boxes])


def test_grabcut_finds_the_object_and_is_deterministic():
    gen = PROXY_GENERATORS.build(dict(type='grabcut'))
    img = _scene()
    box = np.array([[10.0, 6.0, 38.0, 30.0]])  # object plus margin
    (masks, ) = gen.generate([img], [box])
    m = masks[0]
    assert m.shape == (24, 28)
    truth = np.zeros((24, 28), bool)
    truth[4:20, 4:24] = True
    iou = (m & truth).sum() / (m | truth).sum()
    assert iou > 0.9
    # same result alone, with other boxes, and in another call
    other = np.array([[0.0, 0.0, 20.0, 20.0], [10.0, 6.0, 38.0, 30.0]])
    (again, ) = gen.generate([img], [other])
    np.testing.assert_array_equal(again[1], m)
    assert gen.stats['grabcut_fallback'] == 0


def test_grabcut_degenerate_boxes_fall_back_to_box_fill():
    gen = PROXY_GENERATORS.build(dict(type='grabcut'))
    img = _scene()
    boxes = np.array([
        [5.0, 5.0, 6.0, 30.0],  # 1 px wide
        [0.0, 0.0, 48.0, 40.0],  # the whole image: no background
        [2.0, 2.0, 5.0, 5.0],  # 9 px
    ])
    (masks, ) = gen.generate([img], [boxes])
    assert [m.shape for m in masks] == [(25, 1), (40, 48), (3, 3)]
    assert all(m.all() for m in masks)
    assert gen.stats['grabcut_fallback'] == 3
    assert gen.image_stats == [{'grabcut_fallback': 3}]


class _FakeInference:
    """Stands in for mmboxcaseg.apis.inference: the 'model' marks the left
    half of every box region."""

    def __init__(self):
        self.calls, self.init_args = [], None

    def init_segmentor(self, config, checkpoint, device):
        self.init_args = (config, checkpoint, device)
        return 'model'

    def predict_region_masks(self, model, images, boxes, batch_size):
        assert model == 'model'
        self.calls.append((len(images), [len(b) for b in boxes], batch_size))
        out = []
        for img, b in zip(images, boxes):
            per = []
            for x0, y0, x1, y1 in box_regions(b, img.shape[:2]):
                m = np.zeros((y1 - y0, x1 - x0), bool)
                m[:, :(x1 - x0 + 1) // 2] = True
                per.append(m)
            out.append(per)
        return out


@pytest.fixture
def fake_inference(monkeypatch):
    fake = _FakeInference()
    module = types.ModuleType('mmboxcaseg.apis.inference')
    module.init_segmentor = fake.init_segmentor
    module.predict_region_masks = fake.predict_region_masks
    monkeypatch.setitem(sys.modules, 'mmboxcaseg.apis.inference', module)
    return fake


def test_boxcaseg_generator_delegates(fake_inference):
    gen = PROXY_GENERATORS.build(
        dict(
            type='boxcaseg',
            config='c.py',
            checkpoint='w.pth',
            device='cpu',
            batch_size=8))
    assert fake_inference.init_args == ('c.py', 'w.pth', 'cpu')
    img = np.zeros((10, 10, 3), np.uint8)
    masks = gen.generate(
        [img, img],
        [np.array([[0, 0, 4, 4.]]),
         np.array([[1, 1, 5, 3.], [0, 0, 2, 2]])])
    assert fake_inference.calls == [(2, [1, 2], 8)]
    assert [[m.shape for m in per] for per in masks] == [[(4, 4)],
                                                         [(2, 4), (2, 2)]]


def test_boxcaseg_generator_checks_the_returned_shapes(fake_inference):
    gen = PROXY_GENERATORS.build(dict(type='boxcaseg', model='model'))
    gen._predict = lambda model, images, boxes, bs: [[np.ones((3, 3), bool)]]
    with pytest.raises(RuntimeError, match=r'\(3, 3\) mask for box 0'):
        gen.generate([np.zeros((10, 10, 3), np.uint8)],
                     [np.array([[0, 0, 4, 4.]])])


def test_converter_with_boxcaseg_batches_across_images(tmp_path,
                                                       fake_inference):
    ann, imgs = make_dataset(tmp_path)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text('model = dict()\n')
    report = generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann),
            img_root=str(imgs),
            out=str(tmp_path / 'o.json'),
            generator='boxcaseg',
            config=str(cfg),
            batch_size=3,
            drop_thr=0.0,
            progress=False))
    # 5 boxes in images 1 (2), 2 (2), 3 (1): batches of exactly 3 and 2,
    # the first spanning images 1 and 2
    assert fake_inference.calls == [(2, [2, 1], 3), (2, [1, 1], 3)]
    assert fake_inference.init_args[0] == str(cfg)
    out = {
        a['id']: a
        for a in json.loads((tmp_path / 'o.json').read_text())['annotations']
    }
    m10 = decode(out[10]['segmentation'])  # region 2..5: left half 2..3
    expected = np.zeros((10, 10), bool)
    expected[2:6, 2:4] = True
    np.testing.assert_array_equal(m10, expected)
    assert out[10]['proxy_agreement'] == pytest.approx(0.5)
    assert report['quality']['all']['instances'] == 4


def test_converter_with_grabcut_is_deterministic(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    reports = []
    for name, kw in (('a', dict(batch_size=1)), ('b', dict(batch_size=9))):
        reports.append(
            generate_proxy_masks(
                ProxyOptions(
                    ann_file=str(ann),
                    img_root=str(imgs),
                    out=str(tmp_path / f'{name}.json'),
                    generator='grabcut',
                    progress=False,
                    **kw)))
    assert (tmp_path / 'a.json').read_bytes() == (tmp_path /
                                                  'b.json').read_bytes()
    # ann 2's box is the whole 10 x 10 image: no background, box fill
    assert reports[0]['notes']['grabcut_fallback'] >= 1
    assert reports[0]['notes'] == reports[1]['notes']
    out = {
        a['id']: a
        for a in json.loads((tmp_path / 'a.json').read_text())['annotations']
    }
    assert out[2]['proxy_agreement'] == 1.0
