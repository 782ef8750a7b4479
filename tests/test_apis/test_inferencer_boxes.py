"""The Inferencer with many boxes, bad boxes, json ids and bad images."""
import json
import re
import struct
import zlib

import cv2
import numpy as np
import pytest

from mmboxcaseg.apis import BoxCasegInferencer, segment_boxes
from mmboxcaseg.models.segmentors import BoxCaseg
from mmboxcaseg.structures import decode_rle
from mmboxcaseg.structures.coco_index import MAX_PIXELS, index_coco
from tests.test_apis.test_inference import random_image


def many_boxes(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, [w - 6, h - 6], (n, 2))
    wh = rng.uniform(3, 20, (n, 2))
    return np.concatenate([xy, np.minimum(xy + wh, [w, h])], axis=1)


def spy(monkeypatch):
    """Record the crops each load cuts and the boxes each predict holds."""
    from mmboxcaseg.datasets.transforms import BoxCropList
    seen = dict(loaded=[], predicted=[])
    load, predict = BoxCropList.load, BoxCaseg.predict

    def spy_load(self):
        seen['loaded'].append(len(self))
        return load(self)

    def spy_predict(self, inputs, data_samples=None):
        seen['predicted'] += [len(s.regions) for s in data_samples]
        return predict(self, inputs, data_samples)

    monkeypatch.setattr(BoxCropList, 'load', spy_load)
    monkeypatch.setattr(BoxCaseg, 'predict', spy_predict)
    return seen


def test_boxes_are_cropped_and_predicted_in_bounded_chunks(
        model, monkeypatch):
    """37 boxes of one image, chunks of 5, forward passes of 2 crops: no
    step holds more than that, and the masks equal one unchunked pass."""
    image = random_image(40, 48, 3)
    boxes = many_boxes(37, 40, 48)
    model.test_cfg['max_crops'] = 1  # same forward batches: same bits
    ref = BoxCasegInferencer(model, chunk_size=1000)(
        image, boxes=boxes)['predictions'][0]
    model.test_cfg['max_crops'] = 2
    seen = spy(monkeypatch)
    out = BoxCasegInferencer(model, chunk_size=5)(
        image, boxes=boxes, batch_size=2, mask_format='rle',
        return_logits=True)['predictions'][0]
    assert seen['predicted'] == [5] * 7 + [2]  # 37 boxes, 5 at a time
    assert max(seen['loaded']) == 2 and sum(seen['loaded']) == 37
    assert out['ann_ids'] == list(range(37))
    assert out['skipped'] == [None] * 37
    masks = np.stack([decode_rle(m) for m in out['masks']])
    assert ref['masks'].any()
    diff = masks != ref['masks']
    # forward passes of 2 crops may move a probability by float noise
    assert diff.sum() <= 2, diff.sum()
    np.testing.assert_allclose(out['scores'], ref['scores'], atol=1e-4)
    assert out['logits'].shape == (37, 32, 32)


def test_chunking_does_not_change_a_bit(model):
    image = random_image(30, 30, 4)
    boxes = many_boxes(11, 30, 30, seed=1)
    boxes[3] = [40, 40, 50, 50]  # outside: skipped wherever it falls
    model.test_cfg['max_crops'] = 1
    ref = BoxCasegInferencer(model, chunk_size=64)(image, boxes=boxes)
    one = BoxCasegInferencer(model, chunk_size=1)(image, boxes=boxes)
    ref, one = ref['predictions'][0], one['predictions'][0]
    assert np.array_equal(ref['masks'], one['masks'])
    assert np.array_equal(ref['scores'], one['scores'])
    assert one['skipped'][3] == 'box_outside_image'


def test_many_boxes_keep_memory_per_step_flat(model, monkeypatch):
    """10x the boxes: the same largest step (the old path cropped, held
    and pasted every box of the image at once)."""
    image = random_image(24, 24, 5)
    steps = []
    for n in (20, 200):
        seen = spy(monkeypatch)
        BoxCasegInferencer(model, chunk_size=8)(
            image, boxes=many_boxes(n, 24, 24), mask_format='rle')
        steps.append((max(seen['loaded']), max(seen['predicted'])))
        monkeypatch.undo()
    assert steps[0] == steps[1] == (8, 8)  # tiny config: max_crops 64


def test_mask_array_too_large_is_refused_before_allocating(model):
    inferencer = BoxCasegInferencer(model)
    image = random_image(8, 8, 0)
    import mmboxcaseg.apis.inferencer as module
    old = module.MAX_MASK_ARRAY_BYTES
    module.MAX_MASK_ARRAY_BYTES = 2 * 64
    try:
        with pytest.raises(ValueError, match="mask_format='rle'"):
            inferencer(image, boxes=many_boxes(3, 8, 8))
        out = inferencer(image, boxes=many_boxes(3, 8, 8),
                         mask_format='rle')['predictions'][0]
        assert len(out['masks']) == 3
    finally:
        module.MAX_MASK_ARRAY_BYTES = old


def png_claiming(path, width, height):
    """A tiny PNG whose header says ``width x height``."""
    ok, buf = cv2.imencode('.png', np.zeros((2, 2, 3), np.uint8))
    data = bytearray(buf.tobytes())
    ihdr = data.index(b'IHDR')
    data[ihdr + 4:ihdr + 12] = struct.pack('>II', width, height)
    crc = zlib.crc32(bytes(data[ihdr:ihdr + 17]))
    data[ihdr + 17:ihdr + 21] = struct.pack('>I', crc)
    path.write_bytes(bytes(data))


def test_bad_image_files_are_one_line_errors_naming_them(
        model, tmp_path, monkeypatch):
    inferencer = BoxCasegInferencer(model)
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(ValueError,
                       match=re.escape(f'{empty}: cannot be read as an')):
        inferencer(str(empty), boxes=[[0, 0, 4, 4]])
    with pytest.raises(FileNotFoundError, match='no such image file'):
        inferencer(str(tmp_path / 'gone.png'), boxes=[[0, 0, 4, 4]])
    huge = tmp_path / 'huge.png'
    png_claiming(huge, 20000, 20000)  # 400 MP: refused from its header
    with pytest.raises(ValueError, match=re.escape(
            f'{huge}: has more pixels than PIL opens')):
        inferencer(str(huge), boxes=[[0, 0, 4, 4]])
    from PIL import Image
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', None)  # PIL lets it be
    with pytest.raises(ValueError, match=re.escape(
            f'{huge}: 20000 x 20000 pixels, more than {MAX_PIXELS}')):
        inferencer(str(huge), boxes=[[0, 0, 4, 4]])
    # an array as large: refused before anything is copied
    view = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (16385, 16385, 3))
    with pytest.raises(ValueError, match='image 0: 16385 x 16385 pixels'):
        inferencer(view, boxes=[[0, 0, 4, 4]])


def coco_with_bad_boxes(tmp_path):
    """One 30 x 40 image with eight annotations: the issue's case (one bad
    box among eight) plus a crowd and a string iscrowd."""
    cv2.imwrite(str(tmp_path / 'a.png'), random_image(30, 40, 7))
    anns = [
        dict(id=100 + k, image_id=1, category_id=1, iscrowd=0,
             bbox=[2 + k, 3, 10, 12]) for k in range(8)
    ]
    anns[2]['bbox'] = ['10', '10', '50', '50']  # numeric strings
    anns[4]['iscrowd'] = 1
    anns[6]['iscrowd'] = '0'  # a string: neither crowd nor not
    anns[7]['bbox'] = [35, 25, 30, 30]  # sticks out: clipped, kept
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='a.png', height=30, width=40)],
        annotations=anns, categories=[dict(id=1, name='x')])))
    return ann


def test_every_json_box_gets_a_result_with_its_id(model, tmp_path):
    ann = coco_with_bad_boxes(tmp_path)
    (pred, ) = BoxCasegInferencer(model)(str(ann))['predictions']
    assert pred['img_id'] == 1
    assert pred['ann_ids'] == [100 + k for k in range(8)]
    assert pred['skipped'] == [
        None, None, 'bad_box', None, 'crowd', None, 'bad_iscrowd', None
    ]
    assert pred['masks'].shape == (8, 30, 40)
    done = [s is None for s in pred['skipped']]
    assert not pred['masks'][~np.array(done)].any()
    assert (pred['scores'][~np.array(done)] == 0).all()
    assert np.isnan(pred['boxes'][2]).all()
    assert pred['boxes'][7].tolist() == [35, 25, 65, 55]  # as given
    # the converter's index says the same of each annotation
    index = index_coco(str(ann), verbose=False)
    assert [index.skip_reason(k) for k in range(8)] == [
        None, None, 'bad_box', None, None, None, 'bad_iscrowd', None
    ]
    assert index.crowd.tolist() == [False] * 4 + [True] + [False] * 3
    # the same json as the boxes of the image, matched by file name
    (same, ) = BoxCasegInferencer(model)(
        str(tmp_path / 'a.png'), boxes=str(ann))['predictions']
    assert same['ann_ids'] == pred['ann_ids']
    assert same['skipped'] == pred['skipped']
    assert np.array_equal(same['masks'], pred['masks'])


def test_detections_keep_their_position_and_bad_boxes(model, tmp_path):
    ann = coco_with_bad_boxes(tmp_path)
    dets = tmp_path / 'dets.json'
    dets.write_text(json.dumps([
        dict(image_id=1, bbox=[1, 1, 10, 10], score=0.9),
        dict(image_id=1, bbox=['1', '1', '10', '10'], score=0.8),
        dict(image_id=9, bbox=[1, 1, 10, 10], score=0.7),  # no such image
        dict(image_id=1, bbox=[5, 5, 8, 8], score=0.6),
    ]))
    (pred, ) = BoxCasegInferencer(model)(
        str(ann), boxes=str(dets), mask_format='rle')['predictions']
    assert pred['ann_ids'] == [0, 1, 3]
    assert pred['skipped'] == [None, 'bad_box', None]
    assert pred['boxes'][0].tolist() == [1, 1, 11, 11]


def test_numeric_strings_are_bad_boxes_as_in_the_converter(model, tmp_path):
    image = random_image(20, 20, 1)
    out = BoxCasegInferencer(model)(
        image, boxes=[['10', '10', '15', '15'], [2, 2, 12, 12],
                      [True, 0, 5, 5]])['predictions'][0]
    assert out['skipped'] == ['bad_box', None, 'bad_box']
    assert not out['masks'][0].any() and out['masks'][1].any()
    assert out['ann_ids'] == [0, 1, 2]
    # the preds json keeps ids and says which box was skipped and why
    BoxCasegInferencer(model)(
        image, boxes=[['10', '10', '15', '15'], [2, 2, 12, 12]],
        out_dir=str(tmp_path))
    saved = json.loads((tmp_path / 'preds' / '00000000.json').read_text())
    assert saved['ann_ids'] == [0, 1]
    assert saved['skipped'] == ['bad_box', None]
    assert saved['boxes'][0] == [None] * 4


def test_xywh_boxes_given_as_xyxy_are_named(model, tmp_path):
    """x, y, w, h boxes given to the x1, y1, x2, y2 API: a warning names
    the likely mistake; every box still gets its result (inverted boxes
    are empty_box skips)."""
    image = random_image(40, 40, 2)
    xywh = [[20, 25, 10, 8], [5, 5, 10, 10]]
    with pytest.warns(UserWarning, match=r'1 of 2 boxes .*x,y,width,height'):
        out = BoxCasegInferencer(model)(image, boxes=xywh)['predictions'][0]
    assert out['skipped'] == ['empty_box', None]
    with pytest.warns(UserWarning, match='x1,y1,x2,y2'):
        segment_boxes(model, image, np.array(xywh[:1], dtype=float))
    # xyxy boxes: no warning
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)
        BoxCasegInferencer(model)(image, boxes=[[5, 5, 15, 15]])


def test_xyxy_boxes_in_a_coco_json_are_named(model, tmp_path):
    """A COCO json (x, y, w, h) holding x1, y1, x2, y2 boxes: the
    converter's rule warns (structures.box_format_doubt)."""
    cv2.imwrite(str(tmp_path / 'a.png'), random_image(40, 40, 3))
    anns = [
        dict(id=k, image_id=1, category_id=1, bbox=b) for k, b in enumerate(
            [[20, 25, 35, 38], [22, 10, 30, 30], [5, 5, 10, 10]])
    ]
    ann = tmp_path / 'ann.json'
    ann.write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.png', height=40, width=40)],
                annotations=anns,
                categories=[dict(id=1, name='a')])))
    with pytest.warns(UserWarning, match='2 of 3 boxes .*x1,y1,x2,y2'):
        BoxCasegInferencer(model)(str(ann))
    with pytest.warns(UserWarning, match='2 of 3 boxes .*x1,y1,x2,y2'):
        BoxCasegInferencer(model)(str(tmp_path / 'a.png'), boxes=str(ann))
