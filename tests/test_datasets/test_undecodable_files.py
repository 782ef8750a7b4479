"""Files whose header is valid but whose data cannot be decoded.

The data sets check headers only before training, so such a file is found
when a sample draws it. ``read_image`` is the one rule: stage 2 counts the
file ``image_unreadable``, training skips the sample, counts it and names the
file once; a set whose samples are mostly unusable stops with one error.
"""
import json
import struct
import zlib

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmboxcaseg.datasets import BoxCropDataset
from mmboxcaseg.datasets.image_files import image_size
from mmboxcaseg.datasets.transforms import LoadBoxImage, loading, read_image
from tests.test_datasets.boxcaseg_tiny_data import logger_file
from tests.test_datasets.test_boxcaseg_configs import _tiny_cpu_cfg


def truncate(path):
    """Keep the first half of a file (a JPEG's header gives its size)."""
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def scramble_png(path):
    """Replace the first IDAT chunk's data with random bytes under a valid
    CRC: a PNG with a valid header and pixel data that is not zlib."""
    data = bytearray(path.read_bytes())
    at = data.find(b'IDAT')
    size = struct.unpack('>I', data[at - 4:at])[0]
    data[at + 4:at + 4 + size] = np.random.default_rng(0).integers(
        0, 256, size, dtype=np.uint8).tobytes()
    crc = zlib.crc32(bytes(data[at:at + 4 + size]))
    data[at + 4 + size:at + 8 + size] = struct.pack('>I', crc)
    path.write_bytes(bytes(data))


def broken_tiny_data(tmp_path):
    """The CPU config on tiny data (write_coco, write_salient) with three
    undecodable files: box image 2 (anns 4, 5, 6; 5 usable) a truncated
    JPEG, box image 3 (anns 7, 9 usable) a PNG with scrambled data, the mask
    of salient pair 004 a PNG with scrambled data."""
    cfg = _tiny_cpu_cfg(tmp_path)
    box = tmp_path / 'coco'
    truncate(box / 'images/002.jpg')
    ann = box / 'annotations.json'
    coco = json.loads(ann.read_text())
    coco['images'][2]['file_name'] = 'images/003.png'
    ann.write_text(json.dumps(coco))
    cv2.imwrite(str(box / 'images/003.png'),
                np.full((32, 48, 3), 90, np.uint8))
    scramble_png(box / 'images/003.png')
    scramble_png(tmp_path / 'sal/masks/004.png')
    return cfg, box


def test_headers_pass_decoding_fails(tmp_path):
    _, box = broken_tiny_data(tmp_path)
    files = [(box / 'images/002.jpg', (40, 60)),
             (box / 'images/003.png', (32, 48)),
             (tmp_path / 'sal/masks/004.png', (40, 50))]
    for path, hw in files:
        assert image_size(str(path)) == hw  # what the data sets check
        assert read_image(str(path)) == (None, 'image_unreadable')
        assert read_image(str(path), flag='grayscale') == (None,
                                                           'image_unreadable')
    good, problem = read_image(str(box / 'images/001.jpg'), flag='grayscale')
    assert problem is None and good.shape == (40, 60)


def test_training_skips_them_counted_and_named_once(tmp_path):
    cfg, box = broken_tiny_data(tmp_path)
    log_file = logger_file(tmp_path, 'undecodable_train')
    init_default_scope('mmboxcaseg')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=1234)
    box_anns, salient = [], []
    # mmengine draws the replacement of a skipped sample with np.random; 3
    # of the 5 usable annotations are on broken files, so skips outnumber
    # loads (1.5 : 1 expected) and the stop rule (>= 50 skips, more skips
    # than loads) would end this set after ~35 loads: two epochs (18 loads,
    # ~27 skips) stay below it, and the seed makes the draws the same.
    np.random.seed(0)
    for epoch in range(2):
        loader.batch_sampler.sampler.set_epoch(epoch)
        for batch in loader:
            samples = batch['data_samples']
            assert [s.source for s in samples] == ['box'] * 9 + ['salient'] * 7
            box_anns += [s.ann_id for s in samples if s.source == 'box']
            salient += [s.img_path for s in samples if s.source == 'salient']
    # only image 1's annotations are left; every batch is still full
    assert len(box_anns) == 18 and set(box_anns) == {1, 2}
    assert len(salient) == 14 and not any('004' in p for p in salient)
    log = log_file.read_text()
    for path in (box / 'images/002.jpg', box / 'images/003.png',
                 tmp_path / 'sal/masks/004.png'):
        # named once (one process: num_workers=0), however often drawn
        assert log.count(f'{path} cannot be decoded') == 1, path
    assert '[image_unreadable] image' in log
    assert '[image_unreadable] salient mask' in log
    # counted: the second box file is the second such file
    assert '(2 such files' in log


def test_mostly_undecodable_set_stops_with_one_error(tmp_path):
    cfg, box = broken_tiny_data(tmp_path)
    truncate(box / 'images/001.jpg')  # now every image is undecodable
    ds = BoxCropDataset(
        ann_file='annotations.json',
        data_root=str(box),
        pipeline=cfg.box_pipeline)
    assert len(ds) == 5  # the headers are fine
    np.random.seed(0)  # mmengine draws the replacement samples with it
    with pytest.raises(ValueError) as err:
        ds[0]  # not mmengine's 1000 retries and a message without names
    msg = str(err.value)
    assert msg.startswith('50 of 50 samples drawn by this process were '
                          'skipped: their image files cannot be decoded')
    assert '(3 files, e.g.' in msg
    for name in ('001.jpg', '002.jpg', '003.png'):
        assert name in msg


def test_stage_2_and_training_decide_by_the_same_function(
        tmp_path, monkeypatch):
    from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
    from mmboxcaseg.registry import TRANSFORMS
    cfg, box = broken_tiny_data(tmp_path)
    report = generate_proxy_masks(
        ProxyOptions(
            ann_file=str(box / 'annotations.json'),
            img_root=str(box),
            out=str(tmp_path / 'proxy.json'),
            generator='boxfill',
            num_workers=0,
            post_threads=0,
            progress=False))
    # anns 5, 7, 9: the usable annotations of images 2 and 3, whose files
    # training skips (test_training_skips_them_counted_and_named_once)
    assert report['skipped']['image_unreadable'] == 3
    # one function decides for both: a file it refuses, both refuse
    good = str(box / 'images/001.jpg')
    calls = []

    def refuse_001(path, *args, **kwargs):
        calls.append(path)
        if path == good:
            return None, 'image_unreadable'
        return read_image(path, *args, **kwargs)

    monkeypatch.setattr(loading, 'read_image', refuse_001)
    out = LoadBoxImage()(dict(img_path=good, height=40, width=60))
    assert out['problem'] == 'image_unreadable' and out['img'] is None
    init_default_scope('mmboxcaseg')
    load = TRANSFORMS.build(cfg.box_pipeline[0])
    assert load(dict(img_path=good)) is None
    assert calls == [good, good]
