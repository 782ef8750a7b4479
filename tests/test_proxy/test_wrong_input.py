"""Input that is wrong as a whole (boxes in another format, an image root
one level off) stops the converter with one error instead of a json of
empty or wrong masks; ``allow_bad_input`` goes on."""
import numpy as np
import pytest

from mmboxcaseg.proxy import ProxyInputError
from tests.test_proxy.proxy_data import base_coco, make_dataset
from tests.test_proxy.test_bad_input import cli_main, run


def xyxy_coco():
    """base_coco with x1, y1, x2, y2 bboxes, most in the lower right of
    their image (as x, y, w, h they stick out)."""
    coco = base_coco()
    xyxy = {3: [8, 6, 14, 11], 5: [10, 2, 15, 8], 10: [5, 5, 9, 9],
            2: [2, 2, 6, 6], 8: [4, 4, 7, 7]}
    for a in coco['annotations']:
        a['bbox'] = xyxy.get(a['id'], a['bbox'])
    return coco


def test_xyxy_boxes_stop_with_the_likely_mistake(tmp_path, capsys):
    ann, imgs = make_dataset(tmp_path, xyxy_coco())
    out = tmp_path / 'out.json'
    with pytest.raises(ProxyInputError) as e:
        run(ann, imgs, out)
    msg = str(e.value)
    assert 'x1,y1,x2,y2' in msg and '--allow-bad-input' in msg
    assert '4 of 5 boxes' in msg
    assert not out.exists()
    code = cli_main([
        '--ann-file', str(ann), '--img-root', str(imgs), '--out', str(out),
        '--generator', 'boxfill', '--num-workers', '0', '--no-progress'
    ])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith('error: ') and 'x1,y1,x2,y2' in err
    assert len(err.strip().splitlines()) == 1
    # on purpose: the run goes on, the boxes clipped to their images
    report = run(ann, imgs, out, allow_bad_input=True)
    assert out.exists() and report['notes']['box_clipped'] == 4


def test_image_root_one_level_off_stops_naming_a_path(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    out = tmp_path / 'out.json'
    with pytest.raises(ProxyInputError) as e:
        run(ann, tmp_path, out)  # the folder above imgs/
    msg = str(e.value)
    assert '5 of 5 annotations' in msg
    assert str(tmp_path / 'a.png') in msg  # an expected path
    assert f'--img-root {imgs}' in msg  # where the images are
    assert '--allow-bad-input' in msg
    assert not out.exists()
    run(ann, tmp_path, out, allow_bad_input=True)
    assert out.exists()


def test_mostly_good_input_runs(tmp_path):
    """One image of three missing, one box of five sticking out."""
    coco = base_coco()
    coco['annotations'][4]['bbox'] = [5, 5, 4, 4]  # image 3 is 8 x 8
    ann, imgs = make_dataset(tmp_path, coco, sizes={'skip': [2]})
    report = run(ann, imgs, tmp_path / 'out.json')
    assert report['notes']['box_clipped'] == 1
    assert report['skipped']['image_missing'] == 2


def test_box_format_doubt_rule():
    from mmboxcaseg.structures.coco_index import box_format_doubt
    h = w = np.full(4, 100.0)
    good = np.array([[10, 10, 20, 20], [60, 70, 30, 20], [0, 0, 100, 100],
                     [90, 5, 10, 5]], dtype=float)
    d = box_format_doubt(good, h, w)
    assert (d.usable, d.clipped, d.swapped) == (4, 0, 0)
    assert d.mistake() is None
    xyxy = np.array([[10, 10, 20, 20], [60, 70, 90, 90], [40, 50, 80, 70],
                     [70, 5, 95, 30]], dtype=float)
    d = box_format_doubt(xyxy, h, w)
    assert (d.clipped, d.swapped) == (3, 3)
    assert 'x1,y1,x2,y2' in d.mistake()
    # an xyxy API given x, y, w, h: inverted boxes
    xywh = np.array([[60, 70, 30, 20], [10, 10, 20, 20]], dtype=float)
    d = box_format_doubt(xywh, 100, 100, fmt='xyxy')
    assert d.inverted == 1 and 'x,y,width,height' in d.mistake()
    assert box_format_doubt(xywh[1:], 100, 100, fmt='xyxy').mistake() is None
