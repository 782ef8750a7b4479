import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmboxcaseg.proxy import ProxyInputError, ProxyOptions, \
    generate_proxy_masks
from tests.test_proxy.proxy_data import decode, write_image
from tests.tool_loader import load_tool

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'generate_proxy_masks.py'


def cli_main(argv):
    return load_tool('tools/generate_proxy_masks.py').main(argv)


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
    def image(img_id, name, h, w):
        return {'id': img_id, 'file_name': name, 'height': h, 'width': w}

    def box(ann_id, img_id, bbox):
        return {
            'id': ann_id,
            'image_id': img_id,
            'category_id': 1,
            'bbox': bbox
        }

    def without(entry, key):
        """``entry`` less ``key``: an item that misses a required field."""
        return {k: v for k, v in entry.items() if k != key}

    coco = {
        'categories': [{
            'id': 1,
            'name': 'a'
        }],
        'images': [
            image(1, 'a.png', 12, 16),
            image(4, 'missing.png', 10, 10),
            image(5, 'garbage.png', 10, 10),
            image(6, 'wrongsize.png', 10, 10),
            without(image(7, 'a.png', 12, 16), 'height'),
            without(image(0, 'a.png', 12, 16), 'id'),
            image(8, 'a.png', 12, 16),
        ],
        'annotations': [
            without(box(20, 1, None), 'bbox'),
            box(21, 1, [1, 1, float('nan'), 2]),
            box(22, 1, [1, 1, 0, 3]),
            box(23, 1, [2, 2, 3, -1]),
            box(24, 1, [20, 1, 3, 3]),
            box(25, 99, [1, 1, 3, 3]),
            box(26, 4, [1, 1, 3, 3]),
            box(27, 5, [1, 1, 3, 3]),
            box(28, 6, [1, 1, 3, 3]),
            box(29, 7, [1, 1, 3, 3]),
            box(30, 1, 'abc'),
            box(31, 1, [14, 10, 5, 5]),  # partly outside: clipped, kept
            box(32, 1, [1, 1, 4, 4]),
            without(box(33, 1, [1, 1, 4, 4]), 'image_id'),
            without(box(34, 1, [1, 1, 4, 4]), 'category_id'),
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
    ('[' * 100000 + ']' * 100000, 'not a COCO file'),  # too deep to parse
])
def test_fatal_input_errors(tmp_path, content, match):
    ann = tmp_path / 'in.json'
    ann.write_text(content)
    with pytest.raises(ProxyInputError, match=match):
        run(ann, tmp_path, tmp_path / 'out.json')
    assert not (tmp_path / 'out.json').exists()
    assert not (tmp_path / 'out.json.parts').exists()  # a refusal leaves none


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
    with pytest.raises(ProxyInputError, match='--drop-score-thr must lie'):
        run(ann, tmp_path, tmp_path / 'out.json', drop_score_thr=-0.1)
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
    stale_report = tmp_path / '.p.report.json.abc123.tmp'  # the report's
    stale_report.write_text('half a report')
    run(ann, imgs, out)
    assert not stale.exists() and not stale_report.exists()


def test_nan_and_huge_gt_polygons_are_invalid_not_rasterised(
        tmp_path, monkeypatch):
    """pycocotools crashes on a NaN vertex and allocates memory in the
    polygon's length (1e9: tens of GB): such GT is refused before it
    reaches pycocotools, and counted as gt_mask_invalid."""
    import math

    import pycocotools.mask as mask_utils

    from mmboxcaseg.structures.coco_masks import segmentation_to_rle
    real = mask_utils.frPyObjects

    def guarded(obj, h, w):  # never let such a polygon through
        for poly in (obj if isinstance(obj, list) else []):
            assert all(math.isfinite(v) and abs(v) < 1e4 for v in poly), \
                f'pycocotools was handed the polygon {poly}'
        return real(obj, h, w)

    monkeypatch.setattr(mask_utils, 'frPyObjects', guarded)
    nan = float('nan')
    for poly in ([nan, 1, 2, 3, 4, 5], [1e9, 1, 2, 3, 4, 5],
                 [1, 1, 8, 1, 8, -1e9], [1, 1, 8, float('inf'), 8, 8],
                 [1, 1, 8, 10**400, 8, 8], [1, 1, 8, '2', 8, 8]):
        with pytest.raises(ValueError, match='polygon'):
            segmentation_to_rle([[1, 1, 4, 1, 4, 4], poly], 10, 12)
    # uncompressed RLE runs must cover the 10 x 12 mask exactly
    # (pycocotools writes past the mask when decoding longer runs)
    for counts in ([-5, 125], [50, 100], [60, 60.0]):
        with pytest.raises(ValueError, match='counts'):
            segmentation_to_rle({'size': [10, 12], 'counts': counts}, 10, 12)
    assert decode(segmentation_to_rle({'size': [10, 12], 'counts': [60, 60]},
                                      10, 12)).sum() == 60
    # a polygon partly outside the image is fine: clipped to it
    rle = segmentation_to_rle([[-3, -3, 15, -3, 15, 13, -3, 13]], 10, 12)
    assert decode(rle).all()
    # the converter counts them and goes on
    imgs = tmp_path / 'imgs'
    write_image(imgs / 'a.png', 12, 16)
    coco = {
        'categories': [{'id': 1, 'name': 'a'}],
        'images': [{'id': 1, 'file_name': 'a.png', 'height': 12,
                    'width': 16}],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 4, 4],
             'segmentation': [[nan, 1, 2, 3, 4, 5]]},
            {'id': 2, 'image_id': 1, 'category_id': 1, 'bbox': [6, 1, 4, 4],
             'segmentation': [[1e9, 1, 2, 3, 4, 5]]},
            {'id': 3, 'image_id': 1, 'category_id': 1, 'bbox': [1, 6, 4, 4],
             'segmentation': [[1, 6, 5, 6, 5, 10, 1, 10]]},
        ],
    }
    ann = tmp_path / 'gt.json'
    ann.write_text(json.dumps(coco))  # NaN as the json token NaN
    report = run(ann, imgs, tmp_path / 'out.json')
    assert report['processed'] == 3
    assert report['notes']['gt_mask_invalid'] == 2
    assert report['quality']['all']['instances'] == 1  # ann 3 only


def test_inputs_at_the_runs_own_paths_are_refused(dataset, tmp_path):
    """The run deletes its lock, its part folder and stale temporaries:
    an input there would be deleted with them."""
    import shutil
    ann, imgs = dataset
    named_lock = tmp_path / 'o.json.lock'
    shutil.copy(ann, named_lock)
    with pytest.raises(ProxyInputError, match='lock'):
        run(named_lock, imgs, tmp_path / 'o.json')
    assert named_lock.read_bytes() == ann.read_bytes()
    inside = tmp_path / 'p.json.parts' / 'ann.json'
    inside.parent.mkdir()
    shutil.copy(ann, inside)
    with pytest.raises(ProxyInputError, match='parts'):
        run(inside, imgs, tmp_path / 'p.json')
    assert inside.read_bytes() == ann.read_bytes()
    img_copy = tmp_path / 'q.json.parts' / 'imgs'
    shutil.copytree(imgs, img_copy)
    with pytest.raises(ProxyInputError, match='parts'):
        run(ann, img_copy, tmp_path / 'q.json')
    assert (img_copy / 'a.png').is_file()
    temp_named = tmp_path / '.r.json.abc.tmp'
    shutil.copy(ann, temp_named)
    with pytest.raises(ProxyInputError, match='temporar'):
        run(temp_named, imgs, tmp_path / 'r.json')
    assert temp_named.is_file()
    assert not any(tmp_path.glob('*.json.parts/part-*'))


def test_cfg_options_without_a_config_are_refused(dataset, tmp_path):
    ann, imgs = dataset
    with pytest.raises(ProxyInputError, match='--cfg-options'):
        run(ann, imgs, tmp_path / 'o.json',
            cfg_options={'model.test_cfg.mask_thr': 0.9})
    assert not (tmp_path / 'o.json.parts').exists()


def test_a_named_pipe_as_image_is_a_skip_not_a_hang(tmp_path):
    import os
    import threading
    import time
    imgs = tmp_path / 'imgs'
    write_image(imgs / 'a.png', 12, 16)
    os.mkfifo(imgs / 'pipe.png')
    coco = {
        'categories': [{'id': 1, 'name': 'a'}],
        'images': [{'id': 1, 'file_name': 'a.png', 'height': 12,
                    'width': 16},
                   {'id': 2, 'file_name': 'pipe.png', 'height': 12,
                    'width': 16}],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 4, 4]},
            {'id': 2, 'image_id': 2, 'category_id': 1, 'bbox': [1, 1, 4, 4]},
        ],
    }
    ann = tmp_path / 'fifo.json'
    ann.write_text(json.dumps(coco))
    opened, stop = [], threading.Event()

    def unblock():  # a reader blocked on the pipe: feed it and say so
        while not stop.is_set():
            try:
                fd = os.open(imgs / 'pipe.png', os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader
                time.sleep(0.05)
                continue
            opened.append(True)
            os.write(fd, b'not an image')
            os.close(fd)

    t = threading.Thread(target=unblock, daemon=True)
    t.start()
    try:
        report = run(ann, imgs, tmp_path / 'out.json')
        # the header check before training, and the Inferencer's
        from mmboxcaseg.datasets.image_files import image_size
        assert image_size(str(imgs / 'pipe.png')) == 'image_unreadable'
    finally:
        stop.set()
        t.join()
    assert not opened, 'the named pipe was opened'
    assert report['skipped'] == {'image_unreadable': 1}
    assert report['processed'] == 1


def test_output_and_report_follow_the_umask(dataset, tmp_path):
    import os
    ann, imgs = dataset
    old = os.umask(0o027)
    try:
        run(ann, imgs, tmp_path / 'o.json')
    finally:
        os.umask(old)
    for name in ('o.json', 'o.report.json'):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o640, name


def test_ctrl_c_says_how_to_resume(dataset, tmp_path, monkeypatch, capsys):
    from mmboxcaseg.models.segmentors import BoxFillSegmentor
    ann, imgs = dataset
    run(ann, imgs, tmp_path / 'clean.json')
    out = tmp_path / 'o.json'
    argv = ['--ann-file', str(ann), '--img-root', str(imgs), '--out',
            str(out), '--generator', 'boxfill', '--num-workers', '0',
            '--batch-size', '1', '--no-progress']
    real, calls = BoxFillSegmentor.predict, []

    def interrupted(self, inputs, data_samples):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(self, inputs, data_samples)

    with monkeypatch.context() as m:
        m.setattr(BoxFillSegmentor, 'predict', interrupted)
        try:
            rc = cli_main(argv)
        except KeyboardInterrupt:
            rc = 'KeyboardInterrupt reached the caller'
    assert rc == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'interrupted' in err[0] and '--resume' in err[0]
    assert cli_main(argv + ['--resume']) == 0
    assert out.read_bytes() == (tmp_path / 'clean.json').read_bytes()


def _limited(limit):
    """A ``preexec_fn``: files of this process cannot grow beyond ``limit``
    bytes (writes fail with EFBIG, an OSError without a file name, as a
    full disk's ENOSPC)."""
    def apply():
        import resource
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize('full', ['output', 'part'])
def test_a_full_disk_names_the_file(dataset, tmp_path, full):
    import os
    ann, imgs = dataset
    coco = json.loads(ann.read_text())
    if full == 'output':  # the output outgrows the limit
        coco['info']['notes'] = 'x' * 200000
        limit, name = 100000, 'o.json'
    else:  # the part file (28 kB) outgrows it first
        coco['annotations'] += [
            dict(id=1000 + k, image_id=3, category_id=1,
                 bbox=[1, 1, 3 + k % 4, 3], iscrowd=0) for k in range(200)
        ]
        limit, name = 8000, 'o.json.parts/part-00000-of-00001.jsonl'
    ann.write_text(json.dumps(coco))
    out = tmp_path / 'o.json'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH',
                                                            '')])
    cmd = [sys.executable, str(TOOL), '--ann-file', str(ann), '--img-root',
           str(imgs), '--out', str(out), '--generator', 'boxfill',
           '--batch-size', '1', '--no-progress']
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=_limited(limit), cwd=REPO)
    assert proc.returncode == 1 and not out.exists()
    err = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert len(err) == 1 and f'{tmp_path / name}: File too large' in err[0]
    assert '--resume' in err[0]
    assert not list(tmp_path.glob('.o.json.*.tmp'))
    # the resume needs no limit: in this process (a subprocess is 5 s more)
    assert cli_main(cmd[2:] + ['--resume']) == 0
    run(ann, imgs, tmp_path / 'clean.json')
    assert out.read_bytes() == (tmp_path / 'clean.json').read_bytes()
