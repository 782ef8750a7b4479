import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmboxcaseg.proxy import ProxyInputError, ProxyOptions, \
    generate_proxy_masks
from tests.test_proxy.proxy_data import decode, write_image

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'generate_proxy_masks.py'


def cli_main(argv):
    spec = importlib.util.spec_from_file_location('generate_proxy_masks', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(argv)


def run(ann, imgs, out, **kw):
    kw.setdefault('generator', 'boxfill')
    kw.setdefault('num_workers', 0)
    kw.setdefault('post_threads', 0)
    return generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann),
            img_root=str(imgs),
            out=str(out),
            progress=False,
            **kw))


def _bad_dataset(root):
    imgs = root / 'imgs'
    write_image(imgs / 'a.png', 12, 16)
    write_image(imgs / 'wrongsize.png', 9, 10)
    (imgs / 'garbage.png').write_bytes(b'not an image at all')
    coco = {
        'categories': [{
            'id': 1,
            'name': 'a'
        }],
        'images': [
            {
                'id': 1,
                'file_name': 'a.png',
                'height': 12,
                'width': 16
            },
            {
                'id': 4,
                'file_name': 'missing.png',
                'height': 10,
                'width': 10
            },
            {
                'id': 5,
                'file_name': 'garbage.png',
                'height': 10,
                'width': 10
            },
            {
                'id': 6,
                'file_name': 'wrongsize.png',
                'height': 10,
                'width': 10
            },
            {
                'id': 7,
                'file_name': 'a.png',
                'width': 16
            },  # no height
            {
                'file_name': 'a.png',
                'height': 12,
                'width': 16
            },  # no id
            {
                'id': 8,
                'file_name': 'a.png',
                'height': 12,
                'width': 16
            },
        ],
        'annotations': [
            {
                'id': 20,
                'image_id': 1,
                'category_id': 1
            },  # no bbox
            {
                'id': 21,
                'image_id': 1,
                'category_id': 1,
                'bbox': [1, 1, float('nan'), 2]
            },
            {
                'id': 22,
                'image_id': 1,
                'category_id': 1,
                'bbox': [1, 1, 0, 3]
            },
            {
                'id': 23,
                'image_id': 1,
                'category_id': 1,
                'bbox': [2, 2, 3, -1]
            },
            {
                'id': 24,
                'image_id': 1,
                'category_id': 1,
                'bbox': [20, 1, 3, 3]
            },
            {
                'id': 25,
                'image_id': 99,
                'category_id': 1,
                'bbox': [1, 1, 3, 3]
            },
            {
                'id': 26,
                'image_id': 4,
                'category_id': 1,
                'bbox': [1, 1, 3, 3]
            },
            {
                'id': 27,
                'image_id': 5,
                'category_id': 1,
                'bbox': [1, 1, 3, 3]
            },
            {
                'id': 28,
                'image_id': 6,
                'category_id': 1,
                'bbox': [1, 1, 3, 3]
            },
            {
                'id': 29,
                'image_id': 7,
                'category_id': 1,
                'bbox': [1, 1, 3, 3]
            },
            {
                'id': 30,
                'image_id': 1,
                'category_id': 1,
                'bbox': 'abc'
            },
            {
                'id': 31,
                'image_id': 1,
                'category_id': 1,
                'bbox': [14, 10, 5, 5]
            },  # partly outside: clipped, kept
            {
                'id': 32,
                'image_id': 1,
                'category_id': 1,
                'bbox': [1, 1, 4, 4]
            },
            {
                'id': 33,
                'category_id': 1,
                'bbox': [1, 1, 4, 4]
            },  # no image
            {
                'id': 34,
                'image_id': 1,
                'bbox': [1, 1, 4, 4]
            },  # no category
        ],
    }
    ann = root / 'bad.json'
    ann.write_text(json.dumps(coco))  # writes NaN as the token NaN
    return ann, imgs


EXPECTED_SKIPS = {
    20: ('missing_key', [12, 16]),
    21: ('bad_box', [12, 16]),
    22: ('empty_box', [12, 16]),
    23: ('empty_box', [12, 16]),
    24: ('box_outside_image', [12, 16]),
    25: ('unknown_image', [0, 0]),
    26: ('image_missing', [10, 10]),
    27: ('image_unreadable', [10, 10]),
    28: ('image_size_mismatch', [10, 10]),
    29: ('bad_image_entry', [0, 0]),
    30: ('bad_box', [12, 16]),
    33: ('missing_key', [0, 0]),
    34: ('missing_key', [12, 16]),
}


def test_every_bad_item_is_a_counted_skip(tmp_path, capfd):
    ann, imgs = _bad_dataset(tmp_path)
    report = run(ann, imgs, tmp_path / 'out.json')
    out = json.loads((tmp_path / 'out.json').read_text())
    anns = {a['id']: a for a in out['annotations']}
    assert list(anns) == list(range(20, 35))  # no box lost, order kept
    for ann_id, (reason, size) in EXPECTED_SKIPS.items():
        a = anns[ann_id]
        assert a['segmentation']['size'] == size, ann_id
        if size != [0, 0]:
            assert not decode(a['segmentation']).any(), ann_id
        assert a['proxy_agreement'] == 0.0 and a['mask_ignored'] is True
    expected = {}
    for reason, _ in EXPECTED_SKIPS.values():
        expected[reason] = expected.get(reason, 0) + 1
    assert report['skipped'] == expected
    assert report['processed'] == 2 and report['instances'] == 15
    assert report['notes']['box_clipped'] == 1
    # the clipped box 14,10,19,15 -> 14,10,16,12 is filled, agreement 1
    m31 = decode(anns[31]['segmentation'])
    assert m31.sum() == 4 and m31[10:12, 14:16].all()
    assert anns[31]['proxy_agreement'] == 1.0
    err = ''.join(capfd.readouterr())
    for needle in ('missing.png', 'garbage.png', 'wrongsize.png',
                   'is 10x9, the json says 10x10', 'annotation id 21',
                   'annotation id 25', 'images[5] has no "id"'):
        assert needle in err, needle
    assert 'Traceback' not in err


@pytest.mark.parametrize('content, match', [
    ('{"images": [', 'not valid json'),
    ('[1, 2]', 'not a COCO object'),
    ('{"annotations": []}', 'no "images" list'),
    ('{"images": [], "annotations": [{"image_id": 1}]}',
     r'annotations\[0\] has no "id"'),
    ('{"images": [], "annotations": [{"id": 1}, {"id": 1}]}',
     'annotation id 1 appears twice'),
    ('{"images": [{"id": 1}, {"id": 1}], "annotations": []}',
     'image id 1 appears twice'),
])
def test_fatal_input_errors(tmp_path, content, match):
    ann = tmp_path / 'in.json'
    ann.write_text(content)
    with pytest.raises(ProxyInputError, match=match):
        run(ann, tmp_path, tmp_path / 'out.json')
    assert not (tmp_path / 'out.json').exists()


def test_missing_files_and_bad_options(tmp_path, monkeypatch):
    ann = tmp_path / 'in.json'
    with pytest.raises(ProxyInputError, match='does not exist'):
        run(ann, tmp_path, tmp_path / 'out.json')
    ann.write_text('{"images": [], "annotations": []}')
    with pytest.raises(ProxyInputError, match='img-root'):
        run(ann, tmp_path / 'nope', tmp_path / 'out.json')
    # a missing output folder is made, as mmdet's tools do
    run(ann, tmp_path, tmp_path / 'new' / 'out.json')
    assert (tmp_path / 'new' / 'out.json').is_file()
    with pytest.raises(ProxyInputError, match='unknown --generator'):
        run(ann, tmp_path, tmp_path / 'out.json', generator='magic')
    with pytest.raises(ProxyInputError, match='drop-thr'):
        run(ann, tmp_path, tmp_path / 'out.json', drop_thr=1.5)
    monkeypatch.delenv('RANK', raising=False)
    with pytest.raises(ProxyInputError, match='torchrun'):
        run(ann, tmp_path, tmp_path / 'out.json', launcher='pytorch')
    with pytest.raises(ProxyInputError, match='needs --config'):
        generate_proxy_masks(
            ProxyOptions(
                ann_file=str(ann),
                img_root=str(tmp_path),
                out=str(tmp_path / 'o.json'),
                generator='boxcaseg'))


def test_empty_input_gives_empty_output(tmp_path):
    ann = tmp_path / 'in.json'
    ann.write_text('{"images": [], "annotations": [], "x": 1}')
    report = run(ann, tmp_path, tmp_path / 'out.json')
    assert json.loads((tmp_path / 'out.json').read_text()) == {
        'images': [],
        'annotations': [],
        'x': 1
    }
    assert report['instances'] == 0 and 'quality' not in report


def test_cli_user_errors_exit_2_without_traceback(tmp_path, capsys):
    ann = tmp_path / 'in.json'
    ann.write_text('{"images": []}')
    rc = cli_main([
        '--ann-file',
        str(ann), '--img-root',
        str(tmp_path), '--out',
        str(tmp_path / 'o.json'), '--generator', 'boxfill'
    ])
    assert rc == 2
    assert 'no "annotations" list' in capsys.readouterr().err
    rc = cli_main([
        '--ann-file',
        str(ann), '--img-root',
        str(tmp_path), '--out',
        str(ann), '--generator', 'boxfill'
    ])
    assert rc == 2
    assert 'input file' in capsys.readouterr().err
    assert ann.read_text() == '{"images": []}'


def test_cli_script_runs(tmp_path):
    ann = tmp_path / 'in.json'
    ann.write_text('{"images": []}')
    proc = subprocess.run([
        sys.executable,
        str(TOOL), '--ann-file',
        str(ann), '--img-root',
        str(tmp_path), '--out',
        str(ann)
    ],
                          capture_output=True,
                          text=True,
                          timeout=120,
                          cwd=REPO)
    assert proc.returncode == 2
    assert proc.stderr.startswith('error: --out') and 'Traceback' not in (
        proc.stderr + proc.stdout)


def test_strings_booleans_sizes_and_paths_are_skips(tmp_path):
    imgs = tmp_path / 'imgs'
    write_image(imgs / 'a.png', 12, 16)
    write_image(tmp_path / 'outside.png', 12, 16)
    coco = {
        'categories': [{'id': 1, 'name': 'a'}],
        'images': [
            {'id': 1, 'file_name': 'a.png', 'height': 12, 'width': 16},
            # a declared size whose masks would need 931 GiB
            {'id': 2, 'file_name': 'a.png', 'height': 10**6,
             'width': 10**6},
            {'id': 3, 'file_name': '../outside.png', 'height': 12,
             'width': 16},
            {'id': 4, 'file_name': str(tmp_path / 'outside.png'),
             'height': 12, 'width': 16},
        ],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1,
             'bbox': ['1', '1', '5', '5']},
            {'id': 2, 'image_id': 1, 'category_id': 1, 'bbox': True},
            {'id': 3, 'image_id': 1, 'category_id': 1,
             'bbox': [1, True, 5, 5]},
            {'id': 4, 'image_id': 1, 'category_id': 7,
             'bbox': [1, 1, 5, 5]},
            {'id': 5, 'image_id': 2, 'category_id': 1,
             'bbox': [1, 1, 5, 5]},
            {'id': 6, 'image_id': 3, 'category_id': 1,
             'bbox': [1, 1, 5, 5]},
            {'id': 7, 'image_id': 4, 'category_id': 1,
             'bbox': [1, 1, 5, 5]},
            {'id': 8, 'image_id': 1, 'category_id': 1,
             'bbox': [1, 1, 5, 5]},
        ],
    }
    ann = tmp_path / 'odd.json'
    ann.write_text(json.dumps(coco))
    report = run(ann, imgs, tmp_path / 'out.json')
    assert report['skipped'] == {
        'bad_box': 3,
        'unknown_category': 1,
        'image_too_large': 1,
        'unsafe_file_name': 2
    }
    assert report['processed'] == 1
    # images outside the root are read when that is asked for
    report = run(ann, imgs, tmp_path / 'out2.json', allow_outside_root=True)
    assert report['processed'] == 3
    # no categories: stage 3 could not use the file, so it is refused
    del coco['categories']
    ann.write_text(json.dumps(coco))
    with pytest.raises(ProxyInputError, match='no "categories" list'):
        run(ann, imgs, tmp_path / 'out3.json')


def test_path_problems_are_found_before_any_work(tmp_path, dataset):
    import os
    ann, imgs = dataset
    (tmp_path / 'adir').mkdir()
    with pytest.raises(ProxyInputError, match='is a folder'):
        run(ann, imgs, tmp_path / 'adir')
    (tmp_path / 'o.json.parts').write_text('x')
    with pytest.raises(ProxyInputError, match='is not a folder'):
        run(ann, imgs, tmp_path / 'o.json')
    ro = tmp_path / 'ro'
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        if not os.access(ro, os.W_OK):  # root may write anyway
            with pytest.raises(ProxyInputError, match='not writable'):
                run(ann, imgs, ro / 'o.json')
    finally:
        os.chmod(ro, 0o755)
    # a report in a missing folder is made up front
    out = tmp_path / 'p.json'
    run(ann, imgs, out, report=str(tmp_path / 'new' / 'r.json'))
    assert (tmp_path / 'new' / 'r.json').is_file()
    # a kill during assembly left a hidden temporary: the next run cleans it
    stale = tmp_path / '.p.json.abc123.tmp'
    stale.write_text('half a json')
    run(ann, imgs, out)
    assert not stale.exists()
