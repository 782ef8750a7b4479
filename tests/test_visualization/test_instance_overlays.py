"""Overlays with a colour, an outline and a score per instance, and the
contact sheet of the lowest-scoring proxy masks."""
import json

import cv2
import numpy as np

from tests.test_proxy.proxy_data import make_dataset, rle_of
from tests.test_proxy.test_bad_input import cli_main


def test_two_instances_two_colours_outline_differs_from_fill():
    from mmboxcaseg.visualization.instances import draw_instances
    img = np.full((40, 60, 3), 90, np.uint8)
    masks = np.zeros((2, 40, 60), bool)
    masks[0, 10:30, 5:25] = True
    masks[1, 10:30, 35:55] = True
    boxes = np.array([[5, 10, 25, 30], [35, 10, 55, 30]], np.float64)
    out = draw_instances(img, masks, boxes)
    assert out.shape == img.shape and out.dtype == np.uint8
    fill_a, fill_b = out[25, 15], out[25, 45]  # inside, below the labels
    assert (fill_a != 90).any() and (fill_b != 90).any()
    assert (fill_a != fill_b).any()  # a colour per instance
    assert (out[25, 5] != fill_a).any()  # the outline is not the fill
    assert (out[38, 30] == 90).all()  # away from both
    # the score is written: the picture differs from the one without
    scored = draw_instances(img, masks, boxes, scores=np.array([.87, .2]))
    assert (scored != out).any()
    # a dropped mask is marked: not filled, its box dashed
    dropped = draw_instances(img, masks, boxes, dropped=np.array([1, 0]))
    assert (dropped[25, 15] == 90).all() and (dropped[25, 45] == fill_b).all()


def _ann(k, score, area=4, crowd=0, ignored=False):
    mask = np.zeros((8, 8), bool)
    mask[:area // 2, :2] = True
    return dict(id=k, image_id=1, category_id=1, bbox=[0, 0, 2, 2],
                iscrowd=crowd, segmentation=rle_of(mask), score=score,
                mask_ignored=ignored)


def test_lowest_scoring_is_ascending_non_empty_and_capped():
    from mmboxcaseg.visualization.proxy_pictures import lowest_scoring
    anns = [_ann(1, .5), _ann(2, .1), _ann(3, .9), _ann(4, .3),
            _ann(5, 0.0, area=0), _ann(6, 0.05, crowd=1),
            _ann(7, .3, ignored=True)]
    del anns[2]['score']  # no score: not ranked
    assert [a['id'] for a in lowest_scoring(anns, 3)] == [2, 4, 7]
    assert [a['id'] for a in lowest_scoring(anns, 24)] == [2, 4, 7, 1]


def _convert(tmp_path, *extra):
    ann, imgs = make_dataset(tmp_path)
    out = tmp_path / 'proxy.json'
    rc = cli_main(['--ann-file', str(ann), '--img-root', str(imgs),
                   '--out', str(out), '--generator', 'boxfill',
                   '--num-workers', '0', '--post-threads', '0',
                   '--no-progress', *extra])
    return rc, out, imgs


def test_converter_show_dir_writes_overlays_and_sheet(tmp_path):
    show = tmp_path / 'show'
    rc, out, imgs = _convert(tmp_path, '--show-dir', str(show))
    assert rc == 0
    for name, size in (('a', (12, 16)), ('b', (10, 10)), ('c', (8, 8))):
        pic = cv2.imread(str(show / f'{name}.jpg'))
        assert pic is not None and pic.shape[:2] == size
    assert cv2.imread(str(show / 'lowest_scores.jpg')) is not None
    # --show-max: the lowest image ids only
    show1 = tmp_path / 'show1'
    rc, _, _ = _convert(tmp_path / 'again', '--show-dir', str(show1),
                        '--show-max', '1')
    assert rc == 0
    assert sorted(p.name for p in show1.iterdir()) == ['a.jpg',
                                                       'lowest_scores.jpg']


def test_contact_sheet_one_tile_per_low_mask(tmp_path):
    from mmboxcaseg.visualization.proxy_pictures import (TILE,
                                                         write_proxy_pictures)
    rc, out, imgs = _convert(tmp_path)
    assert rc == 0
    data = json.loads(out.read_text())
    scored = [a for a in data['annotations'] if 'score' in a]
    for k, a in enumerate(scored):  # distinct, shuffled scores
        a['score'] = [0.6, 0.2, 0.9, 0.4, 0.1][k]
    scored[0]['mask_ignored'] = True
    out.write_text(json.dumps(data))
    show = tmp_path / 'show'
    done = write_proxy_pictures(str(out), str(imgs), str(show), lowest=3)
    by_id = {a['id']: a['score'] for a in scored}
    assert [by_id[i] for i in done['lowest']] == [0.1, 0.2, 0.4]
    sheet = cv2.imread(str(show / 'lowest_scores.jpg'))
    assert sheet.shape[1] == 3 * TILE[0]  # one row of three tiles
    done = write_proxy_pictures(str(out), str(imgs), str(show), lowest=24)
    assert len(done['lowest']) == len(scored)  # every scored mask, once


def test_show_dir_in_the_way_stops_before_converting(tmp_path, capsys):
    (tmp_path / 'afile').write_text('x')
    rc, out, _ = _convert(tmp_path, '--show-dir', str(tmp_path / 'afile'))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and not out.exists()
    assert err[-1].startswith('error: --show-dir') and 'afile' in err[-1]


def test_demo_overlay_uses_instance_colours(tiny_boxcaseg, tmp_path):
    from mmboxcaseg.visualization.instances import instance_colours
    from tests.tool_loader import load_tool
    module = load_tool('demo/box_to_mask_demo.py')
    cfg, ckpt = tiny_boxcaseg
    cv2.imwrite(str(tmp_path / 'img.png'), np.full((40, 48, 3), 80,
                                                    np.uint8))
    assert module.main([
        str(tmp_path / 'img.png'), '--model', cfg, '--weights', ckpt,
        '--boxes', '2,2,20,20', '26,16,46,38', '--out-dir',
        str(tmp_path / 'o')
    ]) == 0
    pic = cv2.imread(str(tmp_path / 'o' / 'vis' / 'img.png'))[..., ::-1]
    for colour in instance_colours(2):  # box outlines in full colour
        assert (pic == colour).all(axis=2).any()


def test_first_instance_colours_are_far_apart():
    """The palette is read with a stride: the first eight instances of a
    picture get colours at least 100 apart in RGB (read in order, the
    palette's neighbours are alike: its first two are both reds)."""
    import itertools

    from mmboxcaseg.visualization.instances import instance_colours
    colours = np.array(instance_colours(8), float)
    gaps = [np.linalg.norm(a - b)
            for a, b in itertools.combinations(colours, 2)]
    assert min(gaps) >= 100, min(gaps)
    assert len({tuple(c) for c in instance_colours(80)}) == 80
